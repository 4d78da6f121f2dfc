// Shared setup for the upstream and BYOK route suites (upstream-routes.test.ts and its
// neighbours): the gateway's own router and route table over real services on PGlite, the mock
// LLM as the custom upstream, tokens for the seeded owners, and the request-body builder.
// Call useUpstreamGateway() at a suite's top level; `mock`, `call` and `noSecrets` are set by it.
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import type { Owner } from "../../../src/domain/owner.ts";
import { buildRouter } from "../../../src/api/router.ts";
import { ROUTES } from "../../../src/api/table.ts";
import { parseConfig } from "../../../src/config/schema.ts";
import { createContainer, type Container } from "../../../src/container/container.ts";
import { createMemoryCounters } from "../../../src/counters/index.ts";
import { createApiKey } from "../../../src/auth/api-keys.ts";
import { startMockLlm, type MockLlm } from "../../support/mock-llm/index.ts";
import { acme, alice, bob, pgliteDb, ringSpec, seedOwners } from "../../support/owners.ts";

const silent = { info() {}, warn() {}, error: (_msg: string, fields?: Record<string, unknown>) => void unexpected.push(fields) };
export const UPSTREAM_KEY = "sk-mock-upstream-key-000042";
export const HEADER_SECRET = "team-secret-value-0007";

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
export let mock: MockLlm;
const tokens: Record<string, string> = {};
const unexpected: unknown[] = [];
export const invalidated: Owner[] = [];

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

export let call: ReturnType<typeof gateway>;
export let noSecrets: ReturnType<typeof gateway>;

/** Registers the hooks: PGlite and the mock LLM up before, down after; no stray errors per test. */
export function useUpstreamGateway(): void {
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
}

export const body = (over: Record<string, unknown> = {}) => ({
  provider_id: "mock",
  display_name: "Mock LLM",
  base_url: mock.baseUrl,
  api_key: UPSTREAM_KEY,
  extra_headers: { "X-Team": HEADER_SECRET },
  models: [{ id: "mock-model", name: "Mock", context_length: 4096, input_price: 0.25, output_price: 1.5 }],
  ...over,
});

export const expectNoSecrets = (text: string) => {
  expect(text).not.toContain(UPSTREAM_KEY);
  expect(text).not.toContain(HEADER_SECRET);
  expect(text).not.toContain("v1.k1.");
};
