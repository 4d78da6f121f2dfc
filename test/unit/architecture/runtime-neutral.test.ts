// The core must run unchanged on every platform: no Node, Deno or CommonJS APIs inside src/.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = join(import.meta.dirname, "../../../src");

const FORBIDDEN: [string, RegExp][] = [
  ["node: import", /from\s+["']node:|import\(\s*["']node:/],
  ["bare Node builtin import", /from\s+["'](fs|path|http|https|net|os|crypto|stream|buffer|child_process|url|util|events|zlib|tls|dns)(\/[^"']*)?["']/],
  ["process", /\bprocess\s*\./],
  ["Deno", /\bDeno\s*\./],
  ["Buffer", /\bBuffer\s*[.(]/],
  ["require", /\brequire\s*\(/],
  ["__dirname/__filename", /\b__(dirname|filename)\b/],
  ["global/globalThis platform probe", /\b(global\s*\.|globalThis\s*\.\s*(process|Deno|Bun|Buffer))/],
  ["setImmediate", /\bsetImmediate\s*\(/],
  ["Bun", /\bBun\s*\./],
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/** Comments may mention platforms; only code counts. */
const stripComments = (code: string) => code.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");

describe("src/ is runtime-neutral", () => {
  const files = sourceFiles(SRC);

  it("finds the core's source files", () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it.each(files.map((f) => [relative(SRC, f), f]))("%s uses no platform API", (_name, file) => {
    const code = stripComments(readFileSync(file, "utf8"));
    const hits = FORBIDDEN.filter(([, re]) => re.test(code)).map(([what]) => what);
    expect(hits).toEqual([]);
  });

  it("the scanner catches each forbidden use", () => {
    const samples = [
      'import { readFileSync } from "node:fs";',
      'import fs from "fs";',
      "const k = process.env.KEY;",
      'Deno.env.get("X");',
      'Buffer.from("x");',
      'const m = require("x");',
      "console.log(__dirname);",
      "globalThis.process.env;",
      "setImmediate(() => {});",
    ];
    for (const s of samples) expect(FORBIDDEN.some(([, re]) => re.test(s)), s).toBe(true);
  });
});
