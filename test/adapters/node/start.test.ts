import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildNode } from "../../../scripts/build.ts";
import { envSchema } from "../../../src/config/schema.ts";
import { spawnGroup } from "../../support/processes.ts";
import { freshDatabase, serviceAvailable } from "../../support/services.ts";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const postgres = await serviceAvailable("postgres");

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
      expect(output).toMatch(/database +embedded PGlite in \.data\/pglite/);
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

// What the built server says about itself at start-up: what is off and which setting turns it
// on, and one line, never a stack trace, for each way start-up can fail.
describe("npm start: start-up that explains itself", () => {
  let main: string;
  beforeAll(async () => {
    main = await buildNode();
  });

  /** A shell without any gateway setting, plus `env`. */
  function start(env: Record<string, string>) {
    const base: NodeJS.ProcessEnv = { ...process.env };
    for (const key of [...Object.keys(envSchema.shape), "HOST", "PORT"]) delete base[key];
    return spawnGroup(process.execPath, [main], { cwd: root, env: { ...base, PORT: "0", ...env } });
  }

  async function failedStart(env: Record<string, string>): Promise<string> {
    const gw = start(env);
    const exit = await new Promise<number | null>((resolve) => gw.child.once("exit", resolve));
    expect(exit).toBe(1);
    return gw.output().trim();
  }

  it("names what is off: no GATEWAY_ADMIN_TOKEN, no provider key; /admin/* names the setting", async () => {
    const gw = start({ DATABASE_URL: "memory://" });
    try {
      const [, url] = await gw.waitFor(/listening on (http:\/\/\S+)\n[\s\S]*\(README\.md/, 30_000);
      const out = gw.output();
      expect(out).toMatch(/database +in-memory PGlite/);
      expect(out).toMatch(/providers +NONE: .*OPENAI_API_KEY/);
      expect(out).toMatch(/operator API +OFF: set GATEWAY_ADMIN_TOKEN/);
      // The banner's call uses the README's variable names.
      expect(out).toContain('-H "authorization: Bearer $KEY"');
      for (const path of ["/admin/users", "/admin/anything"]) {
        const res = await fetch(`${url}${path}`, { method: "POST", body: "{}" });
        expect(res.status).toBe(404);
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe("operator_api_disabled");
        expect(body.error.message).toContain("GATEWAY_ADMIN_TOKEN");
      }
    } finally {
      await gw.stop("SIGTERM");
    }
  }, 60_000);

  it("says in one line that the port is in use, naming PORT and HOST", async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const address = busy.address();
    const port = address !== null && typeof address === "object" ? address.port : 0;
    try {
      const out = await failedStart({ DATABASE_URL: "memory://", PORT: String(port) });
      expect(out).toBe(`edgegate cannot listen on 127.0.0.1:${port}: another process is using that port. Stop it, or set PORT (and HOST) to listen elsewhere.`);
    } finally {
      busy.close();
    }
  }, 60_000);

  it("refuses a DATABASE_URL that is not PostgreSQL, without printing it", async () => {
    const out = await failedStart({ DATABASE_URL: "mysql://root:hunter2-secret@127.0.0.1:3306/test" });
    expect(out).toBe("invalid configuration: DATABASE_URL: must be a postgres:// or postgresql:// URL (or memory:// on Node)");
  });

  it("names every bad setting at once", async () => {
    const out = await failedStart({ GATEWAY_ADMIN_TOKEN: "short", OPENAI_BASE_URL: "not a url", PORT: "eighty" });
    expect(out.split("\n")).toHaveLength(1);
    for (const setting of ["GATEWAY_ADMIN_TOKEN", "OPENAI_BASE_URL", "PORT"]) expect(out).toContain(`${setting}: `);
  });

  describe.skipIf(!postgres)("on a PostgreSQL the migrations never reached", () => {
    it("says so at start, answers 503 storage_not_migrated naming npm run db:migrate, and migrates when told to", async () => {
      const url = await freshDatabase("edgegate_start_unmigrated");
      const gw = start({ DATABASE_URL: url, OPENAI_API_KEY: "sk-x", GATEWAY_ADMIN_TOKEN: "start-test-admin-0123" });
      try {
        const [, base] = await gw.waitFor(/listening on (http:\/\/\S+)\n[\s\S]*\(README\.md/, 30_000);
        expect(gw.output()).toMatch(/database +PostgreSQL at 127\.0\.0\.1:5432\/edgegate_start_unmigrated, NOT MIGRATED: run `npm run db:migrate`/);
        const ready = await fetch(`${base}/readyz`);
        expect(ready.status).toBe(503);
        const readyBody = (await ready.json()) as { error: { code: string; message: string } };
        expect(readyBody.error.code).toBe("storage_not_migrated");
        expect(readyBody.error.message).toContain("npm run db:migrate");
        // Any route that meets the missing tables answers the same, not a 500.
        const models = await fetch(`${base}/v1/models`);
        expect(models.status).toBe(503);
        expect(((await models.json()) as { error: { code: string } }).error.code).toBe("storage_not_migrated");
        const created = await fetch(`${base}/admin/users`, { method: "POST", headers: { authorization: "Bearer start-test-admin-0123" }, body: '{"id":"u"}' });
        expect(created.status).toBe(503);
      } finally {
        await gw.stop("SIGTERM");
      }

      const migrating = start({ DATABASE_URL: url, OPENAI_API_KEY: "sk-x", GATEWAY_MIGRATE_ON_START: "true" });
      try {
        const [, base] = await migrating.waitFor(/listening on (http:\/\/\S+)\n[\s\S]*\(README\.md/, 30_000);
        expect(migrating.output()).toMatch(/database +PostgreSQL at 127\.0\.0\.1:5432\/edgegate_start_unmigrated\n/);
        expect((await fetch(`${base}/readyz`)).status).toBe(200);
      } finally {
        await migrating.stop("SIGTERM");
      }
    }, 90_000);
  });
});
