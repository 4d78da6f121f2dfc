// The self-service routes for custom upstreams and BYOK keys, through a router like the
// gateway's, with real services on PGlite and the mock LLM as the custom upstream.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Owner } from "../../../src/domain/owner.ts";
import { buildRouter } from "../../../src/api/router.ts";
import { ROUTES } from "../../../src/api/table.ts";
import { parseConfig } from "../../../src/config/schema.ts";
import { createContainer, type Container } from "../../../src/container/container.ts";
import { createMemoryCounters } from "../../../src/counters/index.ts";
import { createApiKey } from "../../../src/auth/api-keys.ts";
import { mergeModels, parseModelList } from "../../../src/upstreams/probe.ts";
import { startMockLlm, type MockLlm } from "../../support/mock-llm/index.ts";
import { acme, alice, bob, globex, pgliteDb, ringSpec, seedOwners } from "../../support/owners.ts";

const silent = { info() {}, warn() {}, error: (_msg: string, fields?: Record<string, unknown>) => void unexpected.push(fields) };
const UPSTREAM_KEY = "sk-mock-upstream-key-000042";
const HEADER_SECRET = "team-secret-value-0007";

/** What these routes answer, loosely: each test asserts the fields it cares about. */
interface Listed {
  id: string;
  owner: Owner;
  provider_id: string;
}
interface Answer {
  [field: string]: unknown;
  id?: string;
  owner?: Owner;
  models?: unknown;
  data?: Listed[];
  error?: { code: string; message: string; type: string; param: string | null };
}

let t: Awaited<ReturnType<typeof pgliteDb>>;
let mock: MockLlm;
const tokens: Record<string, string> = {};
const unexpected: unknown[] = [];
const invalidated: Owner[] = [];

/** The gateway's own router and route table over real services on PGlite. */
function gateway(c: Container) {
  const router = buildRouter(ROUTES, c);
  return async (method: string, path: string, opts: { as?: string; org?: string; body?: unknown } = {}) => {
    const headers = new Headers({ "content-type": "application/json" });
    if (opts.as) headers.set("authorization", `Bearer ${tokens[opts.as]}`);
    if (opts.org) headers.set("x-gateway-org", opts.org);
    const init: RequestInit = { method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) };
    const rc = { requestId: crypto.randomUUID(), startedAt: Date.now(), waitUntil: () => {}, onClientAbort: () => () => {}, caller: null, proxy: null, ended: null };
    const res: Response = await router(new Request(`http://gateway${path}`, init), rc);
    const text = await res.text();
    const parsed: Answer | null = text ? JSON.parse(text) : null;
    return { status: res.status, text, body: parsed };
  };
}

function services(env: Record<string, string>): Container {
  const c = createContainer({ config: parseConfig(env), db: t.db, counters: createMemoryCounters(), fetch: globalThis.fetch, logger: silent, now: Date.now });
  c.events.on("ownerChanged", (o) => void invalidated.push(o));
  return c;
}

let call: ReturnType<typeof gateway>;
let noSecrets: ReturnType<typeof gateway>;

beforeAll(async () => {
  t = await pgliteDb();
  await seedOwners(t.db);
  mock = await startMockLlm({ apiKey: UPSTREAM_KEY });
  for (const [name, owner] of [["alice", alice], ["bob", bob], ["acmeKey", acme]] as const) tokens[name] = (await createApiKey(t.db, { owner })).key;
  call = gateway(services({ GATEWAY_ENCRYPTION_KEYS: ringSpec("k1"), GATEWAY_TRUSTED_UPSTREAM_HOSTS: "127.0.0.1" }));
  noSecrets = gateway(services({ GATEWAY_TRUSTED_UPSTREAM_HOSTS: "127.0.0.1" }));
});
afterAll(async () => {
  await mock.close();
  await t.close();
});
afterEach(() => {
  expect(unexpected).toEqual([]);
  invalidated.length = 0;
});

const body = (over: Record<string, unknown> = {}) => ({
  provider_id: "mock",
  display_name: "Mock LLM",
  base_url: mock.baseUrl,
  api_key: UPSTREAM_KEY,
  extra_headers: { "X-Team": HEADER_SECRET },
  models: [{ id: "mock-model", name: "Mock", context_length: 4096, input_price: 0.25, output_price: 1.5 }],
  ...over,
});

const expectNoSecrets = (text: string) => {
  expect(text).not.toContain(UPSTREAM_KEY);
  expect(text).not.toContain(HEADER_SECRET);
  expect(text).not.toContain("v1.k1.");
};

describe("custom upstream routes", () => {
  it("registers an upstream and answers without secrets", async () => {
    const res = await call("POST", "/v1/upstreams", { as: "alice", body: body() });
    expect(res.status).toBe(201);
    expectNoSecrets(res.text);
    expect(res.body).toMatchObject({
      object: "upstream",
      owner: alice,
      provider_id: "mock",
      display_name: "Mock LLM",
      base_url: mock.baseUrl,
      api_key_hint: "…0042",
      extra_headers: { "x-team": "…" },
      models: [{ id: "mock-model", name: "Mock", context_length: 4096, input_price: 0.25, output_price: 1.5 }],
      enabled: true,
    });
    expect(invalidated).toEqual([alice]);

    const again = await call("POST", "/v1/upstreams", { as: "alice", body: body() });
    expect(again.status).toBe(409);
    expect(again.body?.error).toMatchObject({ code: "upstream_exists", param: "provider_id" });

    const got = await call("GET", `/v1/upstreams/${res.body!.id}`, { as: "alice" });
    expect(got.body).toEqual(res.body);
    expectNoSecrets(got.text);
  });

  it.each([
    [{ provider_id: "Not A Slug" }, "provider_id"],
    [{ provider_id: "openai" }, "provider_id"],
    [{ provider_id: "auto" }, "provider_id"],
    [{ api_key: "" }, "api_key"],
    [{ display_name: undefined }, "display_name"],
    [{ extra_headers: { Authorization: "Bearer x" } }, "extra_headers.Authorization"],
    [{ extra_headers: { host: "evil" } }, "extra_headers.host"],
    [{ extra_headers: { Cookie: "a=b" } }, "extra_headers.Cookie"],
    [{ extra_headers: { "content-length": "1" } }, "extra_headers.content-length"],
    [{ extra_headers: { "Transfer-Encoding": "chunked" } }, "extra_headers.Transfer-Encoding"],
    [{ extra_headers: { connection: "close" } }, "extra_headers.connection"],
    [{ extra_headers: { "bad name": "x" } }, "extra_headers.bad name"],
    [{ extra_headers: { "x-a": "1\r\nx-b: 2" } }, "extra_headers.x-a"],
    [{ models: [{ id: "a" }, { id: "a" }] }, "models.1.id"],
    [{ models: [{ id: "a", input_price: -1 }] }, "models.0.input_price"],
    [{ owner: { type: "org" } }, "owner.id"],
  ])("refuses an invalid body %j with 400 invalid_body naming %s", async (over, param) => {
    const res = await call("POST", "/v1/upstreams", { as: "alice", body: body({ provider_id: "invalid", ...over }) });
    expect(res.status).toBe(400);
    expect(res.body?.error).toMatchObject({ code: "invalid_body", type: "invalid_request_error", param });
  });

  it.each([
    ["http://169.254.169.254/latest", "plain http"],
    ["https://169.254.169.254/latest", "169.254.169.254"],
    ["https://10.1.2.3/v1", "private"],
    ["https://[::1]/v1", "loopback"],
    ["http://example.com/v1", "plain http"],
    ["ftp://example.com/v1", "scheme"],
    ["https://user:pw@example.com/v1", "credentials"],
  ])("refuses the unsafe base_url %s with 400 unsafe_upstream_url", async (url, why) => {
    const res = await call("POST", "/v1/upstreams", { as: "alice", body: body({ provider_id: "unsafe", base_url: url }) });
    expect(res.status).toBe(400);
    expect(res.body?.error).toMatchObject({ code: "unsafe_upstream_url", param: "base_url" });
    expect(res.body?.error?.message).toContain(why);
  });

  it("enforces organization roles: admins write, members read, others see nothing", async () => {
    const created = await call("POST", "/v1/upstreams", { as: "alice", body: body({ owner: { type: "org", id: acme.id }, provider_id: "acme-llm" }) });
    expect(created.status).toBe(201);
    expect(created.body?.owner).toEqual(acme);
    expect(invalidated).toEqual([acme]);
    const id = String(created.body!.id);

    const asMember = await call("POST", "/v1/upstreams", { as: "bob", body: body({ owner: { type: "org", id: acme.id }, provider_id: "bobs" }) });
    expect(asMember.body?.error?.code).toBe("not_org_admin");
    expect((await call("POST", "/v1/upstreams", { as: "alice", body: body({ owner: { type: "org", id: globex.id }, provider_id: "x" }) })).body?.error?.code).toBe("not_org_member");
    expect((await call("POST", "/v1/upstreams", { as: "acmeKey", body: body({ provider_id: "by-key" }) })).body?.error?.code).toBe("not_org_admin");
    // Acting for the organization via x-gateway-org makes it the default owner.
    const viaHeader = await call("POST", "/v1/upstreams", { as: "alice", org: acme.id, body: body({ provider_id: "via-header" }) });
    expect(viaHeader.body?.owner).toEqual(acme);

    expect((await call("GET", `/v1/upstreams/${id}`, { as: "bob" })).status).toBe(200);
    expect((await call("GET", `/v1/upstreams/${id}`, { as: "acmeKey" })).status).toBe(200);
    expect((await call("PATCH", `/v1/upstreams/${id}`, { as: "bob", body: { enabled: false } })).body?.error?.code).toBe("not_org_admin");
    expect((await call("DELETE", `/v1/upstreams/${id}`, { as: "bob" })).body?.error?.code).toBe("not_org_admin");
    expect((await call("DELETE", `/v1/upstreams/${id}`, { as: "acmeKey" })).body?.error?.code).toBe("not_org_admin");

    // alice's own upstream is invisible to bob and to the organization's key.
    const mine = (await call("GET", "/v1/upstreams", { as: "alice" })).body?.data ?? [];
    const alicesOwn = mine.find((u) => u.owner.type === "user")!;
    for (const who of ["bob", "acmeKey"]) {
      const res = await call("GET", `/v1/upstreams/${alicesOwn.id}`, { as: who });
      expect(res.status).toBe(404);
      expect(res.body?.error?.code).toBe("upstream_not_found");
      expect((await call("PATCH", `/v1/upstreams/${alicesOwn.id}`, { as: who, body: { enabled: false } })).status).toBe(404);
    }

    expect(mine.map((u) => [u.owner.type, u.provider_id])).toEqual([["user", "mock"], ["org", "acme-llm"], ["org", "via-header"]]);
    const bobs = (await call("GET", "/v1/upstreams", { as: "bob" })).body?.data ?? [];
    expect(bobs.map((u) => u.owner)).toEqual([acme, acme]);
    const keys = (await call("GET", "/v1/upstreams", { as: "acmeKey" })).body?.data ?? [];
    expect(keys.map((u) => u.owner)).toEqual([acme, acme]);
    const list = await call("GET", "/v1/upstreams", { as: "alice" });
    expectNoSecrets(list.text);
  });

  it("updates: secrets replaced and never echoed, headers removed, URL and provider_id checked", async () => {
    const created = await call("POST", "/v1/upstreams", { as: "alice", body: body({ provider_id: "patchme" }) });
    const path = `/v1/upstreams/${created.body!.id}`;
    invalidated.length = 0;
    const patched = await call("PATCH", path, { as: "alice", body: { api_key: "sk-new-key-abcdefgh9999", extra_headers: null, display_name: "Renamed", enabled: false } });
    expect(patched.status).toBe(200);
    expect(patched.text).not.toContain("sk-new-key");
    expect(patched.body).toMatchObject({ api_key_hint: "…9999", extra_headers: {}, display_name: "Renamed", enabled: false, provider_id: "patchme" });
    expect(invalidated).toEqual([alice]);

    expect((await call("PATCH", path, { as: "alice", body: { base_url: "https://192.168.0.1/v1" } })).body?.error?.code).toBe("unsafe_upstream_url");
    expect((await call("PATCH", path, { as: "alice", body: { provider_id: "mock" } })).status).toBe(409);
    expect((await call("PATCH", path, { as: "alice", body: { extra_headers: { Host: "x" } } })).body?.error).toMatchObject({ code: "invalid_body", param: "extra_headers.Host" });
    expect((await call("PATCH", "/v1/upstreams/ups_missing", { as: "alice", body: { enabled: true } })).status).toBe(404);

    expect((await call("DELETE", path, { as: "alice" })).status).toBe(204);
    expect((await call("DELETE", path, { as: "alice" })).body?.error?.code).toBe("upstream_not_found");
  });

  it("needs a token", async () => {
    const res = await call("GET", "/v1/upstreams");
    expect(res.status).toBe(401);
    expect(res.body?.error?.code).toBe("missing_token");
  });

  it("tests an upstream with its stored key and extra headers, and reports failures in the body", async () => {
    const mine = (await call("GET", "/v1/upstreams", { as: "alice" })).body?.data ?? [];
    const id = mine.find((u) => u.provider_id === "mock")!.id;
    mock.reset();
    const ok = await call("POST", `/v1/upstreams/${id}/test`, { as: "alice" });
    expect(ok.body).toEqual({ ok: true, status: 200, latency_ms: expect.any(Number) });
    expect(mock.requests).toHaveLength(1);
    expect(mock.requests[0]).toMatchObject({ method: "GET", path: "/v1/models", headers: { authorization: `Bearer ${UPSTREAM_KEY}`, "x-team": HEADER_SECRET } });

    const wrongKey = await call("POST", "/v1/upstreams", { as: "alice", body: body({ provider_id: "wrong-key", api_key: "sk-wrong-key-00000000" }) });
    const denied = await call("POST", `/v1/upstreams/${wrongKey.body!.id}/test`, { as: "alice" });
    expect(denied.status).toBe(200);
    expect(denied.body).toMatchObject({ ok: false, status: 401, error: "the upstream answered HTTP 401" });

    const closed = await startMockLlm();
    await closed.close();
    const down = await call("POST", "/v1/upstreams", { as: "alice", body: body({ provider_id: "down", base_url: closed.baseUrl }) });
    const unreachable = await call("POST", `/v1/upstreams/${down.body!.id}/test`, { as: "alice" });
    expect(unreachable.body).toMatchObject({ ok: false, status: null, error: expect.stringContaining("could not reach the upstream") });
    expectNoSecrets(unreachable.text);
  });

  it("discovers models, and stores them only when asked to", async () => {
    const created = await call("POST", "/v1/upstreams", { as: "alice", body: body({ owner: { type: "org", id: acme.id }, provider_id: "discover-me", models: [{ id: "mock-model", input_price: 3 }, { id: "gone" }] }) });
    const path = `/v1/upstreams/${created.body!.id}`;
    const preview = await call("POST", `${path}/discover`, { as: "bob" });
    expect(preview.body).toEqual({ ok: true, status: 200, latency_ms: expect.any(Number), models: [{ id: "mock-model", input_price: 3 }], saved: false });
    expect((await call("GET", path, { as: "bob" })).body?.models).toEqual([{ id: "mock-model", input_price: 3 }, { id: "gone" }]);

    expect((await call("POST", `${path}/discover`, { as: "bob", body: { save: true } })).body?.error?.code).toBe("not_org_admin");
    invalidated.length = 0;
    const saved = await call("POST", `${path}/discover`, { as: "alice", body: { save: true } });
    expect(saved.body).toMatchObject({ ok: true, saved: true, models: [{ id: "mock-model", input_price: 3 }] });
    expect(invalidated).toEqual([acme]);
    expect((await call("GET", path, { as: "bob" })).body?.models).toEqual([{ id: "mock-model", input_price: 3 }]);
  });
});

describe("without GATEWAY_ENCRYPTION_KEYS", () => {
  it("refuses to store or use secrets with 503 secrets_unavailable, but other changes work", async () => {
    const create = await noSecrets("POST", "/v1/upstreams", { as: "alice", body: body({ provider_id: "nokeys" }) });
    expect(create.status).toBe(503);
    expect(create.body?.error).toMatchObject({ code: "secrets_unavailable", message: expect.stringContaining("GATEWAY_ENCRYPTION_KEYS") });
    const existing = ((await noSecrets("GET", "/v1/upstreams", { as: "alice" })).body?.data ?? [])[0]!;
    expect((await noSecrets("PATCH", `/v1/upstreams/${existing.id}`, { as: "alice", body: { display_name: "still fine" } })).status).toBe(200);
    expect((await noSecrets("PATCH", `/v1/upstreams/${existing.id}`, { as: "alice", body: { api_key: "sk-xxxxxxxxxxxxxxxx" } })).status).toBe(503);
    expect((await noSecrets("POST", `/v1/upstreams/${existing.id}/test`, { as: "alice" })).body?.error?.code).toBe("secrets_unavailable");
    expect((await noSecrets("PUT", "/v1/byok-keys/openai", { as: "alice", body: { api_key: "sk-xxxxxxxxxxxxxxxx" } })).body?.error?.code).toBe("secrets_unavailable");
  });
});

describe("BYOK key routes", () => {
  it("sets, lists, replaces and removes the acting owner's keys without echoing them", async () => {
    const put = await call("PUT", "/v1/byok-keys/openai", { as: "alice", body: { api_key: "sk-alice-openai-key-1234" } });
    expect(put.status).toBe(200);
    expect(put.text).not.toContain("sk-alice-openai");
    expect(put.body).toMatchObject({ object: "byok_key", provider: "openai", owner: alice, api_key_hint: "…1234" });
    expect(invalidated).toEqual([alice]);
    await call("PUT", "/v1/byok-keys/openai", { as: "alice", body: { api_key: "sk-alice-openai-key-5678" } });
    await call("PUT", "/v1/byok-keys/groq", { as: "alice", org: acme.id, body: { api_key: "gsk-acme-groq-key-0001" } });

    const list = await call("GET", "/v1/byok-keys", { as: "alice" });
    expect(list.body?.data).toEqual([expect.objectContaining({ provider: "openai", api_key_hint: "…5678", owner: alice })]);
    expect(list.text).not.toContain("sk-alice");
    const orgList = await call("GET", "/v1/byok-keys", { as: "alice", org: acme.id });
    expect(orgList.body?.data).toEqual([expect.objectContaining({ provider: "groq", owner: acme })]);

    expect((await call("PUT", "/v1/byok-keys/groq", { as: "bob", org: acme.id, body: { api_key: "x-bob-attempt-000000" } })).body?.error?.code).toBe("not_org_admin");
    expect((await call("PUT", "/v1/byok-keys/groq", { as: "acmeKey", body: { api_key: "x-key-attempt-000000" } })).body?.error?.code).toBe("not_org_admin");
    const unknown = await call("PUT", "/v1/byok-keys/mock", { as: "alice", body: { api_key: "sk-xxxxxxxxxxxxxxxx" } });
    expect(unknown.body?.error).toMatchObject({ code: "invalid_body", param: "provider" });
    expect((await call("PUT", "/v1/byok-keys/openai", { as: "alice", body: {} })).body?.error).toMatchObject({ code: "invalid_body", param: "api_key" });

    invalidated.length = 0;
    expect((await call("DELETE", "/v1/byok-keys/openai", { as: "alice" })).status).toBe(204);
    expect(invalidated).toEqual([alice]);
    expect((await call("DELETE", "/v1/byok-keys/openai", { as: "alice" })).body?.error?.code).toBe("byok_key_not_found");
    expect((await call("GET", "/v1/byok-keys", { as: "alice" })).body?.data).toEqual([]);
  });
});

describe("model list parsing (discover)", () => {
  it("reads OpenAI and OpenRouter shapes leniently and converts $/token prices to µ$/token", () => {
    const text = JSON.stringify({
      data: [
        { id: "a", object: "model" },
        { id: "b", name: "Model B", context_length: 128000, pricing: { prompt: "0.0000025", completion: "0.00001" } },
        { id: "c", context_window: 32768, pricing: { prompt: "-1", completion: null } },
        { id: "a", name: "duplicate" },
        { name: "no id" },
        "nonsense",
        { id: "d", context_length: "big", name: 7 },
      ],
    });
    expect(parseModelList(text)).toEqual([
      { id: "a" },
      { id: "b", name: "Model B", context_length: 128000, input_price: 2.5, output_price: 10 },
      { id: "c", context_length: 32768 },
      { id: "d" },
    ]);
    expect(parseModelList("not json")).toBeNull();
    expect(parseModelList(JSON.stringify({ models: [] }))).toBeNull();
  });

  it("keeps what the owner entered where the upstream says nothing", () => {
    expect(mergeModels([{ id: "a", context_length: 10 }, { id: "new" }], [{ id: "a", input_price: 1, context_length: 5 }, { id: "old" }])).toEqual([
      { id: "a", input_price: 1, context_length: 10 },
      { id: "new" },
    ]);
  });
});
