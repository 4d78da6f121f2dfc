// Rate limits, credit, policy and accounting end to end: the gateway on Node and on workerd,
// with its counters in the real Redis (through the Upstash REST stand-in) and its ledger in the
// real PostgreSQL (through the Neon HTTP stand-in), calling the mock LLM, which counts requests.
import pg from "pg";
import { Agent, request as undiciRequest } from "undici";
import { Redis as IORedis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { jsonEvents, readEvents } from "../conformance/sse.ts";
import { startMockLlm, type MockLlm } from "../support/mock-llm/index.ts";
import { startNode } from "../support/runtimes/node.ts";
import { conformanceDatabaseUrl, withEdgeStandIns } from "../support/runtimes/edge-storage.ts";
import { startWorkerd } from "../support/runtimes/workerd.ts";
import { REDIS_URL, serviceAvailable } from "../support/services.ts";

const ready = (await serviceAvailable("postgres")) && (await serviceAvailable("redis"));

type Launcher = (env: Record<string, string>) => Promise<{ url: string; close(): Promise<void> }>;

const ADMIN = "limits-e2e-admin-token-0123456789abcdef";
const UPSTREAM_KEY = "sk-operator-upstream";
const ENCRYPTION_KEYS = "c1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const PAID = "openai/mock-model";
const FREE = "openai/free-mock";
const PRICE = { input: 0.15, output: 0.6 }; // microdollars per token
const hi = [{ role: "user", content: "Hello there" }];
const HOUR_S = 3600;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `read` yields a value (background accounting lands after the response). */
async function eventually<T>(read: () => Promise<T | undefined>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await sleep(50);
  }
}

/** A burst near the end of a sliding window could see the previous window's weight shift. */
async function awayFromWindowEdge(windowS: number): Promise<void> {
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

function limitsSuite(runtime: string, launch: Launcher, opts: { full: boolean }): void {
  describe.skipIf(!ready)(`limits and accounting on ${runtime} (Redis via Upstash, PostgreSQL via Neon)`, () => {
    let mock: MockLlm;
    let gw: { url: string; close(): Promise<void> };
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

    beforeAll(async () => {
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
    }, 120_000);

    afterAll(async () => {
      await gw?.close();
      await mock?.close();
      await db?.end();
    });

    beforeEach(() => mock.reset());

    it("300 concurrent anonymous requests against a free model with a limit of 200 admit exactly 200", async () => {
      await awayFromWindowEdge(HOUR_S);
      const responses = await Promise.all(Array.from({ length: 300 }, () => chat({ model: FREE, messages: hi }, null)));
      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(200);
      expect(statuses.filter((s) => s === 429)).toHaveLength(100);
      // Refused before the upstream: it saw exactly the admitted ones.
      expect(mock.requests).toHaveLength(200);
      const refused = responses.find((r) => r.status === 429)!;
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(refused.headers.get("x-ratelimit-limit-requests")).toBe("200");
      expect(refused.headers.get("x-ratelimit-remaining-requests")).toBe("0");
      expect(refused.headers.get("x-ratelimit-reset-requests")).toMatch(/^(\d+m)?\d+s$/);
      expect(await errorOf(refused)).toMatchObject({ code: "rate_limited" });
      const admitted = responses.find((r) => r.status === 200)!;
      expect(admitted.headers.get("x-ratelimit-limit-requests")).toBe("200");
      await Promise.all(responses.map(discard));
    });

    it("TPM: concurrent requests whose estimates exceed the limit are refused before any reaches the upstream", async () => {
      const { key, id } = await newKey({ type: "user", id: userId });
      await db.query("update api_keys set tpm_limit = 1000 where id = $1", [id]);
      // Each reserves its prompt (3) + max_tokens (300) = 303: three fit in 1000, a fourth does not.
      const responses = await Promise.all(Array.from({ length: 10 }, () => chat({ model: PAID, messages: hi, max_tokens: 300 }, key)));
      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(3);
      expect(mock.requests).toHaveLength(3);
      const refused = responses.find((r) => r.status === 429)!;
      expect(refused.headers.get("x-ratelimit-limit-tokens")).toBe("1000");
      expect((await errorOf(refused)).message).toContain("up to 303 tokens");
      await Promise.all(responses.map(discard));
      // After the calls, their reservations are settled to the real usage (6 tokens each), so
      // the budget has room again within the same minute.
      const again = await eventually(async () => {
        const res = await chat({ model: PAID, messages: hi, max_tokens: 300 }, key);
        await discard(res);
        return res.status === 200 ? res : undefined;
      });
      expect(Number(again.headers.get("x-ratelimit-remaining-tokens"))).toBeGreaterThan(0);
    });

    it("records a streamed request's ledger row from its usage chunk", async () => {
      const payer = await newUser(1_000_000);
      const res = await chat({ model: PAID, messages: hi, stream: true, stream_options: { include_usage: true }, mock: { chunks: 5 } }, payer.key);
      expect(res.status).toBe(200);
      const chunks = jsonEvents(await readEvents(res));
      const usage = chunks.find((c) => Array.isArray(c.choices) && c.choices.length === 0)?.usage as { prompt_tokens: number; completion_tokens: number };
      expect(usage.completion_tokens).toBe(5);
      const row = await ledgerRow(res.headers.get("x-request-id")!);
      const cost = Math.ceil(usage.prompt_tokens * PRICE.input + usage.completion_tokens * PRICE.output);
      expect(row).toMatchObject({
        owner_user_id: payer.id,
        owner_org_id: null,
        api_key_id: payer.keyId,
        model: PAID,
        provider: "openai",
        upstream_model: "mock-model",
        byok: false,
        prompt_tokens: usage.prompt_tokens,
        completion_tokens: usage.completion_tokens,
        estimated: false,
        status: 200,
      });
      expect(Number(row.cost_microdollars)).toBe(cost);
      expect(row.ttfb_ms).not.toBeNull();
      expect(row.latency_ms).toBeGreaterThanOrEqual(row.ttfb_ms!);
      expect(await balance(payer.id)).toBe(1_000_000 - cost);
    });

    it("bills a client that disconnects mid-stream for what it received", async () => {
      const ac = new AbortController();
      const res = await chat({ model: PAID, messages: hi, stream: true, mock: { chunks: 60, delay_ms: 30 } }, apiKey, {}, ac.signal);
      const requestId = res.headers.get("x-request-id")!;
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let seen = "";
      while ((seen.match(/"content":"[^"]+"/g) ?? []).length < 5) seen += decoder.decode((await reader.read()).value, { stream: true });
      ac.abort();
      await reader.cancel().catch(() => {});
      const row = await ledgerRow(requestId);
      expect(row).toMatchObject({ status: 200, estimated: true, model: PAID });
      expect(row.completion_tokens).toBeGreaterThan(0);
      // 60 pieces were planned; it left after a handful.
      expect(row.completion_tokens).toBeLessThan(60);
      expect(row.prompt_tokens).toBeGreaterThan(0);
      expect(Number(row.cost_microdollars)).toBeGreaterThan(0);
      expect(await mock.requests[0]!.closed).toBe("aborted");
    });

    if (!opts.full) return;

    it("takes the client IP from the socket and keeps raw addresses out of Redis", async () => {
      // 127.0.0.1 used its 200 above; 127.0.0.2 is another client with its own budget.
      const from = (localAddress: string) =>
        undiciRequest(`${gw.url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: FREE, messages: hi }),
          dispatcher: new Agent({ localAddress }),
        });
      const other = await from("127.0.0.2");
      await other.body.dump();
      expect(other.statusCode).toBe(200);
      expect(other.headers["x-ratelimit-remaining-requests"]).toBe("199");
      const same = await from("127.0.0.1");
      await same.body.dump();
      expect(same.statusCode).toBe(429);
      const redis = new IORedis(REDIS_URL);
      try {
        const keys = await redis.keys("eg:rl:*anon*");
        expect(keys.length).toBeGreaterThan(0);
        expect(keys.join(" ")).not.toMatch(/127\.0\.0\.|::1/);
      } finally {
        redis.disconnect();
      }
    });

    it("applies a key's RPM with x-ratelimit headers on every answer", async () => {
      const { key, id } = await newKey({ type: "user", id: userId });
      await db.query("update api_keys set rpm_limit = 2 where id = $1", [id]);
      const first = await chat({ model: PAID, messages: hi }, key);
      expect(first.status).toBe(200);
      expect(first.headers.get("x-ratelimit-limit-requests")).toBe("2");
      expect(first.headers.get("x-ratelimit-remaining-requests")).toBe("1");
      expect((await chat({ model: PAID, messages: hi }, key)).status).toBe(200);
      const third = await chat({ model: PAID, messages: hi }, key);
      expect(third.status).toBe(429);
      expect(await errorOf(third)).toMatchObject({ code: "rate_limited" });
      expect(third.headers.get("retry-after")).toMatch(/^\d+$/);
    });

    it("needs credit for paid models: first-time and returning callers are told different things", async () => {
      const fresh = await newUser(0);
      const refused = await chat({ model: PAID, messages: hi }, fresh.key);
      expect(refused.status).toBe(402);
      expect(await errorOf(refused)).toMatchObject({ code: "insufficient_credits", message: expect.stringMatching(/no credit yet/) });
      expect(mock.requests).toHaveLength(0);
      // Free models need no credit.
      expect((await chat({ model: FREE, messages: hi }, fresh.key)).status).toBe(200);

      const small = await newUser(1);
      expect((await chat({ model: PAID, messages: hi }, small.key)).status).toBe(200);
      // The charge (more than 1 microdollar) lands in the background; the next call is refused.
      const out = await eventually(async () => {
        const res = await chat({ model: PAID, messages: hi }, small.key);
        if (res.status === 402) return res;
        await discard(res);
        return undefined;
      });
      expect((await errorOf(out)).message).toMatch(/out of credit/);
      expect(await eventually(async () => ((await balance(small.id)) < 0 ? true : undefined))).toBe(true);
    });

    it("serves BYOK without credit and charges it nothing", async () => {
      const byok = await newUser(0);
      const put = await fetch(`${gw.url}/v1/byok-keys/openai`, {
        method: "PUT",
        headers: { authorization: `Bearer ${byok.key}`, "content-type": "application/json" },
        body: JSON.stringify({ api_key: "sk-callers-own" }),
      });
      expect(put.status).toBe(200);
      const res = await chat({ model: PAID, messages: hi }, byok.key);
      expect(res.status).toBe(200);
      expect(mock.requests[0]!.headers.authorization).toBe("Bearer sk-callers-own");
      const row = await ledgerRow(res.headers.get("x-request-id")!);
      expect(row).toMatchObject({ byok: true, owner_user_id: byok.id });
      expect(Number(row.cost_microdollars)).toBe(0);
      expect(await balance(byok.id)).toBe(0);
      // An upstream 402 on the caller's own key is the caller's problem, relayed as such.
      const own = await chat({ model: PAID, messages: hi, mock: { status: 402 } }, byok.key);
      expect(own.status).toBe(402);
    });

    it("hides an upstream 402 on the operator's key as 503, and names context-length errors", async () => {
      const billing = await chat({ model: PAID, messages: hi, mock: { status: 402 } });
      expect(billing.status).toBe(503);
      expect(await errorOf(billing)).toMatchObject({ code: "upstream_unavailable" });
      const error_body = JSON.stringify({ error: { message: "This model's maximum context length is 8192 tokens. However, your messages resulted in 9001 tokens.", type: "invalid_request_error", code: "context_length_exceeded" } });
      const tooLong = await chat({ model: PAID, messages: hi, mock: { status: 400, error_body } });
      expect(tooLong.status).toBe(400);
      expect(await errorOf(tooLong)).toMatchObject({ code: "context_length_exceeded", message: expect.stringContaining("maximum context length is 8192") });
    });

    it("enforces an organization's allow-lists; members read its settings, admins write them", async () => {
      const orgId = `limits-org-${run}`;
      await admin("POST", "/admin/orgs", { id: orgId, name: "Limits Inc" });
      await admin("POST", "/admin/credits", { owner: { type: "org", id: orgId }, amount_microdollars: 10_000_000 });
      const member = await newUser(0);
      await admin("PUT", `/admin/orgs/${orgId}/members/${userId}`, { role: "admin" });
      await admin("PUT", `/admin/orgs/${orgId}/members/${member.id}`, { role: "member" });
      const settingsUrl = `${gw.url}/v1/orgs/${orgId}/settings`;
      const as = (key: string) => ({ authorization: `Bearer ${key}`, "content-type": "application/json" });
      const settings = { model_allowlist: [FREE, "acme/*"], provider_denylist: ["acme"] };

      const denied = await fetch(settingsUrl, { method: "PUT", headers: as(member.key), body: JSON.stringify(settings) });
      expect(denied.status).toBe(403);
      expect(await errorOf(denied)).toMatchObject({ code: "not_org_admin" });
      const typo = await fetch(settingsUrl, { method: "PUT", headers: as(apiKey), body: JSON.stringify({ model_alowlist: [] }) });
      expect(typo.status).toBe(400);
      const put = await fetch(settingsUrl, { method: "PUT", headers: as(apiKey), body: JSON.stringify(settings) });
      expect(put.status).toBe(200);
      expect(await (await fetch(settingsUrl, { headers: as(member.key) })).json()).toEqual(settings);
      const outsider = await newUser(0);
      expect((await fetch(settingsUrl, { headers: as(outsider.key) })).status).toBe(403);

      const asOrg = { "x-gateway-org": orgId };
      const notAllowed = await chat({ model: PAID, messages: hi }, apiKey, asOrg);
      expect(notAllowed.status).toBe(403);
      expect(await errorOf(notAllowed)).toMatchObject({ code: "model_not_allowed" });
      const provider = await chat({ model: "acme/acme-large", messages: hi }, apiKey, asOrg);
      expect(provider.status).toBe(403);
      expect(await errorOf(provider)).toMatchObject({ code: "provider_not_allowed" });
      expect(mock.requests).toHaveLength(0);
      const ok = await chat({ model: FREE, messages: hi }, member.key, asOrg);
      expect(ok.status).toBe(200);
      expect(await ledgerRow(ok.headers.get("x-request-id")!)).toMatchObject({ owner_org_id: orgId, owner_user_id: null });
    });

    it("GET /v1/usage reports the caller's usage by model and by day", async () => {
      const user = await newUser(10_000_000);
      for (const model of [PAID, PAID, FREE]) {
        const res = await chat({ model, messages: hi }, user.key);
        await ledgerRow(res.headers.get("x-request-id")!);
      }
      const res = await fetch(`${gw.url}/v1/usage?days=7`, { headers: { authorization: `Bearer ${user.key}` } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as Record<string, any>;
      expect(body.owner).toEqual({ type: "user", id: user.id });
      expect(body.by_model).toEqual([
        { model: FREE, requests: 1, prompt_tokens: 3, completion_tokens: 3, cost_microdollars: 0 },
        { model: PAID, requests: 2, prompt_tokens: 6, completion_tokens: 6, cost_microdollars: 6 },
      ]);
      expect(body.by_day).toEqual([{ day: new Date().toISOString().slice(0, 10), requests: 3, prompt_tokens: 9, completion_tokens: 9, cost_microdollars: 6 }]);
      expect(body.total).toEqual({ requests: 3, prompt_tokens: 9, completion_tokens: 9, cost_microdollars: 6 });
      expect(body.balance_microdollars).toBe(10_000_000 - 6);
      expect((await fetch(`${gw.url}/v1/usage`)).status).toBe(401);
      expect((await fetch(`${gw.url}/v1/usage?days=0`, { headers: { authorization: `Bearer ${user.key}` } })).status).toBe(400);
    });

    it("an injected accounting failure neither delays the client nor loses or doubles the charge", async () => {
      const victim = await newUser(10_000_000);
      // The debit half of the ledger statement fails twice for this user (a trigger on users).
      await db.query("create sequence if not exists limits_inject_seq");
      await db.query("select setval('limits_inject_seq', 1, false)");
      await db.query(`create or replace function limits_inject_fail() returns trigger language plpgsql as $$
        begin
          if new.id = '${victim.id}' and nextval('limits_inject_seq') <= 2 then raise exception 'injected accounting failure'; end if;
          return new;
        end $$`);
      await db.query("drop trigger if exists limits_inject_fail on users");
      await db.query("create trigger limits_inject_fail before update on users for each row execute function limits_inject_fail()");
      try {
        const res = await chat({ model: PAID, messages: hi }, victim.key);
        expect(res.status).toBe(200);
        const row = await ledgerRow(res.headers.get("x-request-id")!);
        expect(await balance(victim.id)).toBe(10_000_000 - Number(row.cost_microdollars));
        expect(Number((await db.query("select nextval('limits_inject_seq') as n")).rows[0].n)).toBeGreaterThan(2);
        const rows = await db.query("select count(*)::int as n from usage_ledger where owner_user_id = $1", [victim.id]);
        expect(rows.rows[0].n).toBe(1);
      } finally {
        await db.query("drop trigger if exists limits_inject_fail on users");
      }
    });

    it("when the counter store is down: anonymous callers get 503, signed-in ones are served", async () => {
      const down = await withEdgeStandIns(launch)({
        OPENAI_API_KEY: UPSTREAM_KEY,
        OPENAI_BASE_URL: mock.baseUrl,
        GATEWAY_ADMIN_TOKEN: ADMIN,
        GATEWAY_DEFAULT_RPM: "100",
        // Nothing listens on port 1.
        UPSTASH_REDIS_REST_URL: "http://127.0.0.1:1",
      });
      try {
        const post = (auth: string | null) =>
          fetch(`${down.url}/v1/chat/completions`, {
            method: "POST",
            headers: { "content-type": "application/json", ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
            body: JSON.stringify({ model: FREE, messages: hi }),
          });
        const anon = await post(null);
        expect(anon.status).toBe(503);
        expect(anon.headers.get("retry-after")).toBe("5");
        expect(await errorOf(anon)).toMatchObject({ code: "rate_limiter_unavailable" });
        const signedIn = await post(apiKey);
        expect(signedIn.status).toBe(200);
        // Accounted as usual (before this gateway and its stand-ins go away).
        await ledgerRow(signedIn.headers.get("x-request-id")!);
      } finally {
        await down.close();
      }
    });
  });
}

limitsSuite("node", startNode, { full: true });
limitsSuite("workerd", startWorkerd, { full: false });
