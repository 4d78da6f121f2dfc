// The catalog rule as a table (README "What the operator's key serves"): on the operator's key only
// enabled catalog models are served, free only when marked free, paid only with both prices and a
// positive balance; BYOK keys and custom upstreams are not limited by the catalog; disabled is
// served to nobody. Every cell checks the answer, whether the upstream was called, and the ledger.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { upsertModel } from "../../src/store/repos/catalog.ts";
import { usageLedger } from "../../src/store/schema/index.ts";
import { ADMIN_TOKEN } from "../conformance/suite.ts";
import { startMockLlm, type MockLlm } from "../support/mock-llm/index.ts";
import { startNode, type NodeGateway } from "../support/runtimes/node.ts";

const ENCRYPTION_KEYS = "c1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const STATES = ["unlisted", "disabled", "half-priced", "free", "priced"] as const;
type State = (typeof STATES)[number];
type Route = "operator" | "byok" | "custom";
type Balance = "zero" | "positive";
const hi = [{ role: "user", content: "Hello there" }];
/** What the mock reports as `usage.cost` (dollars) when asked: pass-through bills exactly this. */
const REPORTED_COST = 0.0125;

interface Setup {
  gw: NodeGateway;
  admin(method: string, path: string, body?: unknown): Promise<Response>;
  keys: Record<string, string>;
}

/** A gateway with the five catalog states for `openai/<state>` and `own/<state>`, and a caller per route and balance. */
async function setUp(mock: MockLlm, env: Record<string, string> = {}): Promise<Setup> {
  const gw = await startNode({
    OPENAI_API_KEY: "sk-operator-catalog-rule-0001",
    OPENAI_BASE_URL: mock.baseUrl,
    GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN,
    GATEWAY_ENCRYPTION_KEYS: ENCRYPTION_KEYS,
    GATEWAY_TRUSTED_UPSTREAM_HOSTS: "127.0.0.1",
    ...env,
  });
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${gw.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  for (const provider of ["openai", "own"]) {
    const id = (state: State) => `${provider}/${state}`;
    const entries = [
      { id: id("disabled"), provider, input_price: 0.15, output_price: 0.6, enabled: false },
      { id: id("free"), provider, free: true },
      { id: id("priced"), provider, input_price: 0.15, output_price: 0.6 },
    ];
    for (const entry of entries) expect((await admin("POST", "/admin/models", entry)).status).toBe(200);
    // The operator API refuses half a price; a row from before the rule (or edited by hand) still exists.
    expect((await admin("POST", "/admin/models", { id: id("half-priced"), provider, input_price: 0.15 })).status).toBe(400);
    await upsertModel(gw.db, { id: id("half-priced"), provider, inputPrice: 150_000 });
  }
  const keys: Record<string, string> = {};
  for (const route of ["operator", "byok", "custom"] as const) {
    for (const balance of ["zero", "positive"] as const) {
      const user = `${route}-${balance}`;
      expect((await admin("POST", "/admin/users", { id: user })).status).toBe(201);
      const created = await admin("POST", "/admin/api-keys", { owner: { type: "user", id: user } });
      const key = ((await created.json()) as { key: string }).key;
      keys[user] = key;
      if (balance === "positive") expect((await admin("POST", "/admin/credits", { owner: { type: "user", id: user }, amount_microdollars: 1_000_000_000 })).status).toBe(200);
      const self = { authorization: `Bearer ${key}`, "content-type": "application/json" };
      if (route === "byok") {
        expect((await fetch(`${gw.url}/v1/byok-keys/openai`, { method: "PUT", headers: self, body: JSON.stringify({ api_key: `sk-byok-${user}-00000000` }) })).status).toBe(200);
      }
      if (route === "custom") {
        const body = { provider_id: "own", display_name: "Own", base_url: mock.baseUrl, api_key: `sk-own-${user}-00000000` };
        expect((await fetch(`${gw.url}/v1/upstreams`, { method: "POST", headers: self, body: JSON.stringify(body) })).status).toBe(201);
      }
    }
  }
  return { gw, admin, keys };
}

interface Cell {
  status: number;
  code?: string;
  /** Expected ledger cost when answered: "positive" (catalog prices), a number, or 0. */
  cost?: "positive" | number;
}

function expected(state: State, route: Route | "anonymous", balance: Balance, passthrough: boolean): Cell {
  if (state === "disabled") return { status: 404, code: "model_not_found" };
  if (route === "anonymous") return state === "free" ? { status: 200 } : { status: 401, code: "missing_token" };
  if (route !== "operator") return { status: 200, cost: 0 };
  if (state === "free") return { status: 200, cost: 0 };
  const priced = state === "priced";
  if (!priced && !passthrough) return state === "unlisted" ? { status: 404, code: "model_not_found" } : { status: 403, code: "model_not_priced" };
  if (balance === "zero") return { status: 402, code: "insufficient_credits" };
  return { status: 200, cost: priced ? "positive" : Math.ceil(REPORTED_COST * 1_000_000) };
}

function table(passthrough: boolean) {
  let mock: MockLlm;
  let s: Setup;

  beforeAll(async () => {
    mock = await startMockLlm();
    s = await setUp(mock, passthrough ? { GATEWAY_PASSTHROUGH_PRICING: "true" } : {});
  }, 60_000);
  afterAll(async () => {
    await s?.gw.close();
    await mock?.close();
  });

  const cells: [State, Route | "anonymous", Balance][] = [];
  for (const state of STATES) {
    cells.push([state, "anonymous", "zero"]);
    for (const route of ["operator", "byok", "custom"] as const) for (const balance of ["zero", "positive"] as const) cells.push([state, route, balance]);
  }

  it.each(cells)("%s model, %s caller, %s balance", async (state, route, balance) => {
    const want = expected(state, route, balance, passthrough);
    const model = `${route === "custom" ? "own" : "openai"}/${state}`;
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (route !== "anonymous") headers.authorization = `Bearer ${s.keys[`${route}-${balance}`]}`;
    const before = mock.requests.length;
    const res = await fetch(`${s.gw.url}/v1/chat/completions`, { method: "POST", headers, body: JSON.stringify({ model, messages: hi, mock: { cost: REPORTED_COST } }) });
    const body = (await res.json()) as { error?: { code: string; message: string } };
    expect(res.status, JSON.stringify(body)).toBe(want.status);
    if (want.code !== undefined) {
      expect(body.error?.code).toBe(want.code);
      // Refused before any upstream call.
      expect(mock.requests.length).toBe(before);
      return;
    }
    expect(mock.requests.length).toBe(before + 1);
    const sentKey = mock.requests.at(-1)?.headers.authorization ?? "";
    expect(sentKey).toBe(route === "byok" ? `Bearer sk-byok-${route}-${balance}-00000000` : route === "custom" ? `Bearer sk-own-${route}-${balance}-00000000` : "Bearer sk-operator-catalog-rule-0001");
    if (route === "anonymous") return;
    // Exactly one ledger row for this request, at the price the rule says.
    await s.gw.drain();
    const rows = await s.gw.db.select().from(usageLedger).where(eq(usageLedger.requestId, res.headers.get("x-request-id") ?? ""));
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.byok).toBe(route !== "operator");
    if (want.cost === "positive") expect(row.costMicrodollars).toBeGreaterThan(0);
    else expect(row.costMicrodollars).toBe(want.cost);
  });
}

describe("the catalog rule", () => {
  describe("by default (unpriced means not served on the operator's key)", () => table(false));
  describe("with GATEWAY_PASSTHROUGH_PRICING (unpriced billed at the upstream's reported cost)", () => table(true));
});
