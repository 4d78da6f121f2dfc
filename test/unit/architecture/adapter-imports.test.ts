// Adapters are thin: the core reaches them through its one public surface, src/index.ts, so a
// restructure inside src/ never breaks a platform, and nothing platform-specific leaks inward.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../../..");
const ADAPTERS = join(ROOT, "adapters");
const SPEC = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s*["'](\.[^"']+)["']|import\(\s*["'](\.[^"']+)["']\s*\)/g;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

describe("adapters", () => {
  it("import the core only through src/index.ts", () => {
    const reaching: string[] = [];
    for (const file of files(ADAPTERS)) {
      for (const m of readFileSync(file, "utf8").matchAll(SPEC)) {
        const target = relative(ROOT, resolve(dirname(file), m[1] ?? m[2] ?? ""));
        if (target.startsWith("src/") && target !== "src/index.ts") reaching.push(`${relative(ROOT, file)} -> ${target}`);
      }
    }
    expect(files(ADAPTERS).length).toBeGreaterThan(10);
    expect(reaching).toEqual([]);
  });
});
