// Rotating the secrets key as an operator would: the gateway runs on PostgreSQL with ring [k1];
// the ring [k1,k2] is deployed; `npm run secrets:reencrypt` runs while a stream is in flight;
// afterwards a gateway holding only k2 still opens every secret.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import OpenAI from "openai";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMockLlm, type MockLlm } from "../support/mock-llm/index.ts";
import { startNode } from "../support/runtimes/node.ts";
import { migratePostgres } from "../../adapters/node/storage.ts";
import { freshDatabase, serviceAvailable } from "../support/services.ts";

const run = promisify(execFile);
const ok = await serviceAvailable("postgres");
const DATABASE = "edgegate_key_rotation";
const ADMIN = "rotation-admin-token-0123456789abcdef";
const K1 = `k1:${Buffer.alloc(32, 1).toString("base64")}`;
const K2 = `k2:${Buffer.alloc(32, 2).toString("base64")}`;
const UPSTREAM_SECRET = "sk-rotation-upstream-EEEE5555";
const BYOK_SECRET = "sk-rotation-byok-FFFF6666";

type Gw = { url: string; close(): Promise<void> };

describe.skipIf(!ok)("encryption key rotation", () => {
  let mock: MockLlm;
  let databaseUrl = "";
  const gateways: Gw[] = [];
  let apiKey = "";

  const start = async (ring: string): Promise<Gw> => {
    const gw = await startNode({
      DATABASE_URL: databaseUrl,
      GATEWAY_ENCRYPTION_KEYS: ring,
      GATEWAY_ADMIN_TOKEN: ADMIN,
      GATEWAY_TRUSTED_UPSTREAM_HOSTS: "127.0.0.1",
      OPENAI_API_KEY: "sk-operator",
      OPENAI_BASE_URL: mock.baseUrl,
    });
    gateways.push(gw);
    return gw;
  };
  const client = (gw: Gw) => new OpenAI({ apiKey, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  const authHeader = () => mock.requests.filter((r) => r.path.endsWith("/chat/completions")).at(-1)?.headers.authorization;
  const sealed = async () => {
    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    try {
      const up = await c.query<{ v: string }>("select api_key_enc as v from custom_upstreams");
      const byok = await c.query<{ v: string }>("select key_enc as v from byok_keys");
      return [...up.rows, ...byok.rows].map((r) => r.v);
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    mock = await startMockLlm();
    databaseUrl = await freshDatabase(DATABASE);
    const pool = new pg.Pool({ connectionString: databaseUrl });
    await migratePostgres(pool);
    await pool.end();
  }, 60_000);

  afterAll(async () => {
    for (const gw of gateways) await gw.close();
    await mock?.close();
  });

  it("re-seals every secret under the new key without interrupting requests", async () => {
    const old = await start(K1);
    const as = (token: string, method: string, path: string, body: unknown) =>
      fetch(`${old.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    expect((await as(ADMIN, "POST", "/admin/users", { id: "rot" })).status).toBe(201);
    apiKey = ((await (await as(ADMIN, "POST", "/admin/api-keys", { owner: { type: "user", id: "rot" } })).json()) as { key: string }).key;
    expect((await as(apiKey, "POST", "/v1/upstreams", { provider_id: "own", display_name: "Own", base_url: mock.baseUrl, api_key: UPSTREAM_SECRET, extra_headers: { "x-team": "blue" } })).status).toBe(201);
    expect((await as(apiKey, "PUT", "/v1/byok-keys/openai", { api_key: BYOK_SECRET })).status).toBe(200);
    expect((await sealed()).every((v) => v.startsWith("v1.k1."))).toBe(true);

    // The operator deploys the ring with k2 (newest last); instances open k1 and k2 alike.
    const both = await start(`${K1},${K2}`);
    const stream = await client(both).chat.completions.create({
      model: "own/mock-model",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
      // Steers the mock: five chunks, 150 ms apart, so the stream outlives the re-encryption.
      ...{ mock: { chunks: 5, delay_ms: 150 } },
    });
    const reading = (async () => {
      let n = 0;
      for await (const chunk of stream) if (chunk.choices[0]?.delta.content) n++;
      return n;
    })();

    const { stdout } = await run(process.execPath, ["--import", "tsx", "scripts/reencrypt-secrets.ts"], {
      env: { ...process.env, DATABASE_URL: databaseUrl, GATEWAY_ENCRYPTION_KEYS: `${K1},${K2}` },
    });
    expect(stdout).toContain('re-sealed under key "k2": 1 upstream key(s), 1 upstream header set(s), 1 BYOK key(s); 0 failure(s)');
    expect(await reading).toBe(5);

    const after = await sealed();
    expect(after).toHaveLength(2);
    expect(after.every((v) => v.startsWith("v1.k2."))).toBe(true);
    for (const v of after) expect(v).not.toContain(UPSTREAM_SECRET);

    // k1 can now leave the ring: a gateway holding only k2 opens everything.
    const fresh = await start(K2);
    await client(fresh).chat.completions.create({ model: "own/mock-model", messages: [{ role: "user", content: "hi" }] });
    expect(authHeader()).toBe(`Bearer ${UPSTREAM_SECRET}`);
    await client(fresh).chat.completions.create({ model: "openai/mock-model", messages: [{ role: "user", content: "hi" }] });
    expect(authHeader()).toBe(`Bearer ${BYOK_SECRET}`);
    // A second run finds nothing left to do.
    const again = await run(process.execPath, ["--import", "tsx", "scripts/reencrypt-secrets.ts"], {
      env: { ...process.env, DATABASE_URL: databaseUrl, GATEWAY_ENCRYPTION_KEYS: `${K1},${K2}` },
    });
    expect(again.stdout).toContain("0 upstream key(s), 0 upstream header set(s), 0 BYOK key(s)");
  });
});
