// Shared setup for the limits suites (limits*.test.ts): one gateway per suite on Node or
// workerd, with its counters in the real Redis (through the Upstash REST stand-in) and its
// ledger in the real PostgreSQL (through the Neon HTTP stand-in), calling the mock LLM; a
// funded user with a key, the catalog, and helpers bound to that gateway and database.
import pg from "pg";
import { startMockLlm, type MockLlm } from "../support/mock-llm/index.ts";
import { conformanceDatabaseUrl, withEdgeStandIns } from "../support/runtimes/edge-storage.ts";
import { serviceAvailable } from "../support/services.ts";

export const ready = (await serviceAvailable("postgres")) && (await serviceAvailable("redis"));

export type Gateway = { url: string; close(): Promise<void> };
export type Launcher = (env: Record<string, string>) => Promise<Gateway>;

export const ADMIN = "limits-e2e-admin-token-0123456789abcdef";
export const UPSTREAM_KEY = "sk-operator-upstream";
const ENCRYPTION_KEYS = "c1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
export const PAID = "openai/mock-model";
export const FREE = "openai/free-mock";
export const PRICE = { input: 0.15, output: 0.6 }; // microdollars per token
export const hi = [{ role: "user", content: "Hello there" }];
export const HOUR_S = 3600;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `read` yields a value (background accounting lands after the response). */
export async function eventually<T>(read: () => Promise<T | undefined>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await sleep(50);
  }
}

/** A burst near the end of a sliding window could see the previous window's weight shift. */
export async function awayFromWindowEdge(windowS: number): Promise<void> {
  const left = windowS * 1000 - (Date.now() % (windowS * 1000));
  if (left < 10_000) await sleep(left + 100);
}

interface LedgerRow {
  request_id: string;
  owner_user_id: string | null;
  owner_org_id: string | null;
  api_key_id: string | null;
  model: string;
  provider: string;
  upstream_model: string;
  byok: boolean;
  prompt_tokens: number;
  completion_tokens: number;
  estimated: boolean;
  cost_microdollars: string;
  status: number;
  latency_ms: number;
  ttfb_ms: number | null;
}

export const suiteTitle = (runtime: string) => `limits and accounting on ${runtime} (Redis via Upstash, PostgreSQL via Neon)`;

/** What start() brings up; a suite keeps these in its own variables. */
export interface LimitsGateway {
  mock: MockLlm;
  gw: Gateway;
  db: pg.Pool;
  apiKey: string;
}

/**
 * One gateway on `launch` and the helpers bound to it. Call start() in the suite's beforeAll and
 * stop() in its afterAll; `userId` is the funded user whose key start() returns as `apiKey`.
 */
export function limitsHarness(launch: Launcher) {
  let mock: MockLlm;
  let gw: Gateway;
  let db: pg.Pool;
  const run = crypto.randomUUID().slice(0, 8);
  const userId = `limits-user-${run}`;
  let apiKey = "";

  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${gw.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, unknown>>;
  };
  const newKey = async (owner: { type: "user" | "org"; id: string }) => {
    const k = await admin("POST", "/admin/api-keys", { owner });
    return { key: String(k.key), id: String(k.id) };
  };
  const newUser = async (credit: number) => {
    const id = `limits-${crypto.randomUUID()}`;
    await admin("POST", "/admin/users", { id });
    if (credit) await admin("POST", "/admin/credits", { owner: { type: "user", id }, amount_microdollars: credit });
    const k = await newKey({ type: "user", id });
    return { id, key: k.key, keyId: k.id };
  };
  const chat = (body: Record<string, unknown>, auth: string | null = apiKey, extra: Record<string, string> = {}, signal?: AbortSignal) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(auth === null ? {} : { authorization: `Bearer ${auth}` }), ...extra },
      body: JSON.stringify(body),
      ...(signal ? { signal } : {}),
    });
  const ledgerRow = (requestId: string) =>
    eventually(async () => (await db.query<LedgerRow>("select * from usage_ledger where request_id = $1", [requestId])).rows[0]);
  const balance = async (userId: string) => Number((await db.query("select credit_microdollars from users where id = $1", [userId])).rows[0]?.credit_microdollars);
  const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;
  const discard = async (res: Response) => {
    if (!res.bodyUsed) await res.body?.cancel();
  };

  const start = async (): Promise<LimitsGateway> => {
    mock = await startMockLlm();
    db = new pg.Pool({ connectionString: conformanceDatabaseUrl(), max: 2 });
    gw = await withEdgeStandIns(launch)({
      OPENAI_API_KEY: UPSTREAM_KEY,
      OPENAI_BASE_URL: mock.baseUrl,
      GATEWAY_PROVIDERS: JSON.stringify([{ id: "acme", base_url: mock.baseUrl, api_key: "sk-acme", models: ["acme-large"] }]),
      GATEWAY_ADMIN_TOKEN: ADMIN,
      GATEWAY_ENCRYPTION_KEYS: ENCRYPTION_KEYS,
      GATEWAY_ANON_IP_LIMIT: "200",
      GATEWAY_ANON_IP_WINDOW_S: String(HOUR_S),
      GATEWAY_ANON_QUOTA: "10000",
      // Fresh counter keys for this run: Redis is shared with other runs and suites.
      GATEWAY_RATE_LIMIT_SECRET: `limits-e2e-${crypto.randomUUID()}`,
    });
    await admin("POST", "/admin/users", { id: userId });
    await admin("POST", "/admin/credits", { owner: { type: "user", id: userId }, amount_microdollars: 100_000_000 });
    apiKey = (await newKey({ type: "user", id: userId })).key;
    await admin("POST", "/admin/models", { id: PAID, provider: "openai", input_price: PRICE.input, output_price: PRICE.output });
    await admin("POST", "/admin/models", { id: FREE, provider: "openai", upstream_model: "mock-model", free: true });
    // On the operator's key only catalog models are served (the catalog rule).
    await admin("POST", "/admin/models", { id: "acme/acme-large", provider: "acme", input_price: PRICE.input, output_price: PRICE.output });
    return { mock, gw, db, apiKey };
  };
  const stop = async () => {
    await gw?.close();
    await mock?.close();
    await db?.end();
  };

  return { run, userId, admin, newKey, newUser, chat, ledgerRow, balance, errorOf, discard, start, stop };
}
