// package-lock.json must stay what npm itself would write, with every platform's optional
// packages in it: then `npm ci` accepts it on any machine and `npm install` leaves no diff in a
// clone. CI installs with `npm ci`, which refuses a lock that disagrees with package.json.
import { execFile } from "node:child_process";
import { copyFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const here = (file: string) => new URL(`../${file}`, import.meta.url);

describe("package-lock.json", () => {
  it("is exactly what npm install would write for package.json", async () => {
    const dir = await mkdtemp(join(tmpdir(), "edgegate-lock-"));
    try {
      for (const file of ["package.json", "package-lock.json"]) await copyFile(here(file), join(dir, file));
      await run("npm", ["install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: dir, timeout: 120_000 });
      const rewritten = (await readFile(join(dir, "package-lock.json"), "utf8")).split("\n");
      const committed = (await readFile(here("package-lock.json"), "utf8")).split("\n");
      const line = committed.findIndex((text, i) => text !== rewritten[i]);
      const where = line === -1 && committed.length === rewritten.length ? "nowhere" : `line ${line + 1}: ${committed[line] ?? "(end)"} -> ${rewritten[line] ?? "(end)"}`;
      // The fix: run `npm install` and commit the package-lock.json it writes.
      expect(where).toBe("nowhere");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 150_000);

  it("records other platforms' native packages, so npm ci accepts it everywhere", async () => {
    const lock = JSON.parse(await readFile(here("package-lock.json"), "utf8")) as { packages: Record<string, unknown> };
    for (const pkg of ["@esbuild/darwin-arm64", "@esbuild/win32-x64", "@deno/darwin-arm64", "@cloudflare/workerd-darwin-arm64"]) {
      expect(Object.keys(lock.packages)).toContain(`node_modules/${pkg}`);
    }
  });

  it("is what CI installs from: .ci/run runs npm ci, never npm install", async () => {
    const commands = (await readFile(here(".ci/run"), "utf8")).split("\n").filter((line) => /^\s*npm /.test(line));
    expect(commands.some((line) => /^\s*npm ci\b/.test(line))).toBe(true);
    expect(commands.filter((line) => /^\s*npm (install|i)\b/.test(line))).toEqual([]);
  });
});
