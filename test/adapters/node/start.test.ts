import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildNode } from "../../../scripts/build.ts";

// What `npm start` runs: the Node adapter built by scripts/build.ts, started in a directory with
// no database yet. It must create and migrate the embedded PGlite, serve, and stop on SIGTERM.
describe("npm start (the built Node server)", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("creates and migrates .data/pglite in a fresh directory, serves, and exits cleanly on SIGTERM", async () => {
    const main = await buildNode();
    const cwd = await mkdtemp(join(tmpdir(), "edgegate-start-"));
    dirs.push(cwd);
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: "0", HOST: "127.0.0.1", GATEWAY_ADMIN_TOKEN: "start-test-admin" };
    delete env.DATABASE_URL;
    const child = spawn(process.execPath, ["--enable-source-maps", main], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (c: Buffer) => {
        output += c.toString();
        const m = /listening on (http:\/\/\S+)/.exec(output);
        if (m) resolve(m[1]!);
      });
      child.once("exit", (code) => reject(new Error(`exited with ${code} before listening:\n${output}`)));
    });
    try {
      expect(output).toContain("database: pglite");
      expect(existsSync(join(cwd, ".data/pglite"))).toBe(true);
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
      // Migrated: the operator API writes to the tables.
      const created = await fetch(`${url}/admin/users`, {
        method: "POST",
        headers: { authorization: "Bearer start-test-admin", "content-type": "application/json" },
        body: JSON.stringify({ id: "first-user" }),
      });
      expect(created.status).toBe(201);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
  }, 60_000);
});
