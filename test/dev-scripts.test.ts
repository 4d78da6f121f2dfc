// `npm run dev:workers`, `dev:deno` and `dev:vercel` as an operator runs them: each starts its edge
// adapter against the project's Neon and Upstash stand-ins, takes a user, a priced model, credit
// and a key through the operator API, serves a chat completion from the mock upstream, and
// leaves no process behind when stopped with Ctrl-C.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envSchema } from "../src/config/schema.ts";
import { startMockLlm, type MockLlm } from "./support/mock-llm/index.ts";
import { spawnGroup } from "./support/processes.ts";
import { freshDatabase, serviceAvailable } from "./support/services.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const ADMIN = "dev-scripts-admin-token-0123456789";
const redis = await serviceAvailable("redis");
const postgres = redis && (await serviceAvailable("postgres"));

/** The environment of a shell with none of the gateway's settings exported. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(envSchema.shape)) delete env[key];
  for (const key of ["HOST", "PORT", "DEV_POSTGRES_URL", "DEV_REDIS_URL", "DEV_DATA_DIR"]) delete env[key];
  return env;
}

describe.skipIf(!postgres)("npm run dev:* (edge adapters on local stand-ins)", () => {
  let mock: MockLlm;
  let dataDir: string;
  beforeAll(async () => {
    mock = await startMockLlm();
    dataDir = await mkdtemp(join(tmpdir(), "edgegate-dev-"));
  });
  afterAll(async () => {
    await mock?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  // Two on the machine's PostgreSQL (a fresh database each), one on the embedded PGlite.
  const cases = [
    { script: "dev:workers", runtime: "Cloudflare Workers", database: "edgegate_dev_workers" },
    { script: "dev:deno", runtime: "Deno", database: "edgegate_dev_deno" },
    { script: "dev:vercel", runtime: "Vercel Edge", database: undefined },
  ];

  it.each(cases)("$script serves a chat completion and stops cleanly", async ({ script, runtime, database }) => {
    const storage = database ? { DEV_POSTGRES_URL: await freshDatabase(database) } : { DEV_DATA_DIR: join(dataDir, script) };
    const dev = spawnGroup("npm", ["run", "--silent", script], {
      cwd: root,
      env: { ...cleanEnv(), ...storage, PORT: "0", GATEWAY_ADMIN_TOKEN: ADMIN, OPENAI_API_KEY: "sk-dev-upstream", OPENAI_BASE_URL: mock.baseUrl },
    });
    try {
      const [, title, url] = await dev.waitFor(/edgegate \(([^)]*)\) listening on (http:\/\/\S+)\n  database/, 90_000);
      expect(title).toContain(runtime);
      expect(dev.output()).toContain(database ? `over PostgreSQL at 127.0.0.1:5432/${database}` : "over embedded PGlite");
      expect(dev.output()).toMatch(/rate counters +Upstash stand-in http:\/\/127\.0\.0\.1:\d+ over Redis/);
      const processes = dev.descendants();

      const admin = (path: string, body: unknown) =>
        fetch(`${url}${path}`, { method: "POST", headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" }, body: JSON.stringify(body) });
      const owner = { type: "user", id: `dev-${crypto.randomUUID()}` };
      expect((await admin("/admin/users", { id: owner.id })).status).toBe(201);
      expect((await admin("/admin/models", { id: "openai/mock-model", provider: "openai", input_price: 0.15, output_price: 0.6 })).status).toBe(200);
      expect((await admin("/admin/credits", { owner, amount_microdollars: 1_000_000 })).status).toBe(200);
      const created = await admin("/admin/api-keys", { owner });
      expect(created.status).toBe(201);
      const { key } = (await created.json()) as { key: string };

      mock.reset();
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "openai/mock-model", messages: [{ role: "user", content: "Hello" }] }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { model: string; choices: { message: { content: string } }[] };
      expect(body.model).toBe("openai/mock-model");
      expect(body.choices[0]?.message.content).toBe("Hello from mock");
      expect(mock.requests.map((r) => (r.body as { model: string }).model)).toEqual(["mock-model"]);

      // npm itself dies of the SIGINT; the dev script below it exits 0 after stopping the rest.
      const stopped = await dev.stop("SIGINT");
      expect(stopped.code === 0 || stopped.signal === "SIGINT").toBe(true);
      expect(stopped.leftovers).toEqual([]);
      expect(processes.length).toBeGreaterThan(1);
    } finally {
      await dev.stop("SIGKILL", 1_000);
    }
  }, 150_000);
});
