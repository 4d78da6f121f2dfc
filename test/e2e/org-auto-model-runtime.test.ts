// The organization auto model (`auto/org`) at request time, as a table: for each mode header
// (or none) and state of the organization, the status and error code, which upstream was called
// with which model and key (or that none was), x-gateway-model / x-gateway-provider, the body's
// `model`, and the ledger row of the request (one per answered request, none for a refused one).
// Then `auto` alone, and a downgrade and re-upgrade.
//
// On PostgreSQL, because one row needs a second gateway on the same database whose key ring no
// longer opens the organization's saved key. Each upstream is its own mock, so "no other provider
// was called" is checked by both being empty: the operator's openai key and the organization's
// own openai key both go to the openai mock (told apart by the authorization header), the
// operator-declared provider `second` to the other.
import { eq } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migratePostgres } from "../../adapters/node/storage.ts";
import { usageLedger } from "../../src/store/schema/index.ts";
import { startMockLlm, type MockLlm } from "../support/mock-llm/index.ts";
import { requester, seedOwners, type CallerName, type Requester } from "../support/owner-world.ts";
import { startNode, type NodeGateway } from "../support/runtimes/node.ts";
import { freshDatabase, serviceAvailable } from "../support/services.ts";

const pgUp = await serviceAvailable("postgres");

const DATABASE = "edgegate_auto_model_runtime";
const ADMIN = "auto-runtime-admin-token-0123456789abcdef";
const KEYS = {
  operatorOpenai: "sk-operator-openai-1111",
  operatorSecond: "sk-operator-second-2222",
  betaOpenai: "sk-beta-own-openai-3333",
  gammaOpenai: "sk-gamma-own-openai-4444",
};
// The replica's ring has the same key id with other bytes: the sealed key is found, but no longer opens.
const RING = `k1:${Buffer.alloc(32, 9).toString("base64")}`;
const OTHER_RING = `k1:${Buffer.alloc(32, 10).toString("base64")}`;

const route = (...models: string[]) => ({ strategy: "fallback", targets: models.map((model) => ({ model })) });
const LISTS = { model_allowlist: ["openai/*", "second/*"] };
const ACME_ROUTES = { build: "openai/gpt-4o", code: "second/model-b", architect: "openai/o3", review: "route/deep" };
/** acme's settings per state; every request acts under its model allow-list (checked against the resolved model). */
const ACME = {
  standard: { ...LISTS, auto_model: { enabled: true, fallback_model: "openai/gpt-4o-mini", routes: ACME_ROUTES } },
  codeOnly: { ...LISTS, auto_model: { enabled: true, fallback_model: "openai/gpt-4o-mini", routes: { code: "second/model-b" } } },
  disabled: { ...LISTS, auto_model: { enabled: false, fallback_model: "openai/gpt-4o-mini", routes: ACME_ROUTES } },
} as const;
/**
 * beta's fallback is on its own openai key; `code` on the operator's `second`; `mixed` and `own`
 * routes of both, `own` first to a model only beta's key serves (the operator's catalog lacks it).
 */
const BETA = { auto_model: { enabled: true, fallback_model: "openai/gpt-4o-mini", routes: { code: "second/model-b", mixed: "route/mixed", own: "route/own" } } };

/** gamma uses its own openai key only through a route (so byok_providers is empty when saved). */
const GAMMA = { auto_model: { enabled: true, fallback_model: "second/model-b", routes: { review: "route/via-own" } } };

type AcmeState = keyof typeof ACME | "team";
interface World {
  acme: AcmeState;
  betaKey: "present" | "deleted";
  gammaKey: "present" | "deleted";
  /** An operator route named `auto`, saved through /admin/routes. */
  operatorAuto: boolean;
}

type MockName = "openai" | "second";
interface UpstreamCall {
  mock: MockName;
  model: string;
  key: string;
}
interface Served {
  status: 200;
  /** Every upstream call, in order per mock; the last one answered. */
  calls: UpstreamCall[];
  /** The request's ledger row, but for `model` (the client's) and `status`. */
  ledger: { resolvedModel: string; provider: string; upstreamModel: string; byok: boolean; owner: string; attempts: number };
}
interface Refused {
  status: number;
  code: string;
  /** What the message must say (the provider, for the BYOK refusals). */
  says?: RegExp;
}
interface Row {
  name: string;
  given: Partial<World>;
  /** The replica: the same database, another key ring, GATEWAY_ROUTES with an `auto` route. */
  gateway?: "main" | "replica";
  as: CallerName;
  org?: string;
  /** x-gateway-mode; absent when undefined. */
  mode?: string;
  /** `model` (default auto/org); null sends only `models`. */
  model?: string | null;
  extra?: Record<string, unknown>;
  expect: Served | Refused;
}

const openai = (model: string, key = KEYS.operatorOpenai): UpstreamCall => ({ mock: "openai", model, key });
const second = (model: string): UpstreamCall => ({ mock: "second", model, key: KEYS.operatorSecond });
const served = (calls: UpstreamCall[], owner: string, byok = false): Served => {
  const last = calls.at(-1);
  if (!last) throw new Error("a served row needs the call that answered");
  // Provider ids are the mocks' names and catalog ids are `<provider>/<upstream model>`.
  const ledger = { resolvedModel: `${last.mock}/${last.model}`, provider: last.mock, upstreamModel: last.model, byok, owner, attempts: calls.length };
  return { status: 200, calls, ledger };
};
const fallback = served([openai("gpt-4o-mini")], "org:acme");
const acme = { as: "alice", org: "acme" } as const;
const beta = { as: "carol", org: "beta" } as const;
const gamma = { as: "carol", org: "gamma" } as const;
const keyGone: Refused = { status: 503, code: "upstream_unavailable", says: /\bopenai\b/ };

const ROWS: Row[] = [
  { name: "exact slug `build` beats its legacy alias (routes has build and code)", given: { acme: "standard" }, ...acme, mode: "build", expect: served([openai("gpt-4o")], "org:acme") },
  { name: "exact slug `code`", given: { acme: "standard" }, ...acme, mode: "code", expect: served([second("model-b")], "org:acme") },
  { name: "the mode header read case-insensitively (`BUILD`)", given: { acme: "standard" }, ...acme, mode: "BUILD", expect: served([openai("gpt-4o")], "org:acme") },
  { name: "legacy alias build→code when only code has a route", given: { acme: "codeOnly" }, ...acme, mode: "build", expect: served([second("model-b")], "org:acme") },
  { name: "legacy alias plan→architect", given: { acme: "standard" }, ...acme, mode: "plan", expect: served([openai("o3")], "org:acme") },
  { name: "unknown mode → fallback_model", given: { acme: "standard" }, ...acme, mode: "poetry", expect: fallback },
  { name: "no mode header → fallback_model", given: { acme: "standard" }, ...acme, expect: fallback },
  { name: "a mode header too long to read → fallback_model", given: { acme: "standard" }, ...acme, mode: "code".repeat(70), expect: fallback },
  {
    name: "a mode whose target is route/deep, its first target failing over",
    given: { acme: "standard" },
    ...acme,
    mode: "review",
    extra: { mock: { by_model: { o3: { status: 503 } } } },
    expect: served([openai("o3"), second("model-c")], "org:acme"),
  },
  { name: "the organization's own API key (no x-gateway-org)", given: { acme: "standard" }, as: "acme-key", mode: "code", expect: served([second("model-b")], "org:acme") },
  ...["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"].map((mode): Row => ({ name: `mode \`${mode}\` → fallback_model, never a 500`, given: { acme: "standard" }, ...acme, mode, expect: fallback })),
  { name: "a user in no organization → 400", given: { acme: "standard" }, as: "dave", mode: "code", expect: { status: 400, code: "organization_required" } },
  { name: "a member without x-gateway-org → 400", given: { acme: "standard" }, as: "alice", mode: "code", expect: { status: 400, code: "organization_required" } },
  { name: "disabled → 403", given: { acme: "disabled" }, ...acme, mode: "code", expect: { status: 403, code: "auto_model_disabled" } },
  { name: "downgraded to team → 403", given: { acme: "team" }, ...acme, mode: "code", expect: { status: 403, code: "enterprise_plan_required", says: /enterprise/ } },
  { name: "downgraded, for the organization's own key too → 403", given: { acme: "team" }, as: "acme-key", expect: { status: 403, code: "enterprise_plan_required" } },

  { name: "BYOK: fallback served on the organization's own openai key", given: { betaKey: "present" }, ...beta, expect: served([openai("gpt-4o-mini", KEYS.betaOpenai)], "org:beta", true) },
  { name: "BYOK: route/mixed served on the organization's own key", given: { betaKey: "present" }, ...beta, mode: "mixed", expect: served([openai("gpt-4o", KEYS.betaOpenai)], "org:beta", true) },
  { name: "BYOK: route/own's model only the organization's key serves", given: { betaKey: "present" }, ...beta, mode: "own", expect: served([openai("own-only", KEYS.betaOpenai)], "org:beta", true) },
  { name: "BYOK key deleted → 503 naming openai, no upstream called", given: { betaKey: "deleted" }, ...beta, expect: keyGone },
  { name: "BYOK key deleted, request-level fallbacks after auto/org → 503, none called", given: { betaKey: "deleted" }, ...beta, model: null, extra: { models: ["auto/org", "second/model-b"] }, expect: keyGone },
  { name: "BYOK key deleted, mode on route/mixed → 503, none called", given: { betaKey: "deleted" }, ...beta, mode: "mixed", expect: keyGone },
  { name: "BYOK key deleted, mode on route/own (the operator's key cannot serve its model) → 503, none called", given: { betaKey: "deleted" }, ...beta, mode: "own", expect: keyGone },
  { name: "BYOK key deleted: a mode not on the organization's key still answers", given: { betaKey: "deleted" }, ...beta, mode: "code", expect: served([second("model-b")], "org:beta") },
  { name: "BYOK key no longer opens (other key ring) → 503, none called", given: { betaKey: "present" }, gateway: "replica", ...beta, expect: keyGone },
  { name: "BYOK key no longer opens, request-level fallbacks → 503, none called", given: { betaKey: "present" }, gateway: "replica", ...beta, model: null, extra: { models: ["auto/org", "second/model-b"] }, expect: keyGone },
  { name: "BYOK key no longer opens, mode on route/mixed → 503, none called", given: { betaKey: "present" }, gateway: "replica", ...beta, mode: "mixed", expect: keyGone },

  { name: "BYOK only through a route: served on the organization's key", given: { gammaKey: "present" }, ...gamma, mode: "review", expect: served([openai("gpt-4o", KEYS.gammaOpenai)], "org:gamma", true) },
  { name: "BYOK only through a route, key deleted → 503, none called", given: { gammaKey: "deleted" }, ...gamma, mode: "review", expect: keyGone },

  { name: "`auto` without an operator route named auto → 404", given: { operatorAuto: false }, as: "alice", model: "auto", expect: { status: 404, code: "model_not_found" } },
  { name: "`auto` from GATEWAY_ROUTES", given: { operatorAuto: false }, gateway: "replica", as: "alice", model: "auto", expect: served([second("model-c")], "user:alice") },
  { name: "`auto` from /admin/routes", given: { operatorAuto: true }, as: "alice", model: "auto", expect: served([openai("gpt-4o-mini")], "user:alice") },
];

interface Answer {
  status: number;
  headers: Headers;
  body: { model?: string; error?: { code: string; message: string } };
}

describe.skipIf(!pgUp)("auto/org at request time", () => {
  let openaiMock: MockLlm;
  let secondMock: MockLlm;
  const mocks = (): MockLlm[] => [openaiMock, secondMock];
  let main: NodeGateway;
  let replica: NodeGateway;
  let req: Requester;
  const keys: Record<string, string> = {};
  const world: Partial<World> = {};

  const ok = async (res: Promise<Response>, what: string, statuses: number[] = [200, 201, 204]): Promise<void> => {
    const r = await res;
    if (!statuses.includes(r.status)) throw new Error(`${what}: ${r.status} ${await r.text()}`);
    await r.body?.cancel();
  };
  const plan = (org: string, value: string) => ok(req(`/admin/orgs/${org}`, { method: "PATCH", body: { plan: value } }), `${org} → ${value}`);
  const putSettings = (org: string, as: CallerName, body: unknown) => ok(req(`/v1/orgs/${org}/settings`, { as, method: "PUT", body }), `${org} settings`);
  const readSettings = async (org: string): Promise<unknown> => (await req(`/v1/orgs/${org}/settings`, { as: org === "acme" ? "olga" : "carol" })).json();

  /** Brings the organizations and the operator's routes into the state a row needs. */
  async function ensure(given: Partial<World>): Promise<void> {
    if (given.acme !== undefined && given.acme !== world.acme) {
      await plan("acme", "enterprise");
      await putSettings("acme", "alice", ACME[given.acme === "team" ? "standard" : given.acme]);
      if (given.acme === "team") await plan("acme", "team");
      world.acme = given.acme;
    }
    if (given.betaKey !== undefined && given.betaKey !== world.betaKey) {
      if (given.betaKey === "present") await ok(req("/v1/byok-keys/openai", { as: "carol", org: "beta", method: "PUT", body: { api_key: KEYS.betaOpenai } }), "beta key");
      else await ok(req("/v1/byok-keys/openai", { as: "carol", org: "beta", method: "DELETE" }), "beta key deleted");
      world.betaKey = given.betaKey;
    }
    if (given.gammaKey !== undefined && given.gammaKey !== world.gammaKey) {
      if (given.gammaKey === "present") await ok(req("/v1/byok-keys/openai", { as: "carol", org: "gamma", method: "PUT", body: { api_key: KEYS.gammaOpenai } }), "gamma key");
      else await ok(req("/v1/byok-keys/openai", { as: "carol", org: "gamma", method: "DELETE" }), "gamma key deleted");
      world.gammaKey = given.gammaKey;
    }
    if (given.operatorAuto !== undefined && given.operatorAuto !== world.operatorAuto) {
      if (given.operatorAuto) await ok(req("/admin/routes", { body: { name: "auto", ...route("openai/gpt-4o-mini") } }), "operator auto");
      else await ok(req("/admin/routes/auto", { method: "DELETE" }), "operator auto deleted", [204, 404]);
      world.operatorAuto = given.operatorAuto;
    }
  }

  async function chat(gw: NodeGateway, row: Pick<Row, "as" | "org" | "mode" | "model" | "extra">): Promise<Answer> {
    const headers: Record<string, string> = { authorization: `Bearer ${keys[row.as] ?? ""}`, "content-type": "application/json" };
    if (row.org !== undefined) headers["x-gateway-org"] = row.org;
    if (row.mode !== undefined) headers["x-gateway-mode"] = row.mode;
    const model = row.model === undefined ? { model: "auto/org" } : row.model === null ? {} : { model: row.model };
    const res = await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers, body: JSON.stringify({ ...model, messages: [{ role: "user", content: "hi" }], ...row.extra }) });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Answer["body"] };
  }

  /** The chat calls each mock received since the last reset, as (model, key). */
  const callsTo = (name: MockName): UpstreamCall[] =>
    (name === "openai" ? openaiMock : secondMock).requests
      .filter((r) => r.path.endsWith("/chat/completions"))
      .map((r) => {
        const model = typeof r.body === "object" && r.body !== null && "model" in r.body ? r.body.model : undefined;
        return { mock: name, model: typeof model === "string" ? model : "", key: (r.headers.authorization ?? "").replace(/^Bearer /, "") };
      });

  async function ledgerRows(gw: NodeGateway, requestId: string) {
    await gw.drain();
    const rows = await main.db.select().from(usageLedger).where(eq(usageLedger.requestId, requestId));
    return rows.map((r) => ({
      model: r.model,
      resolvedModel: r.resolvedModel,
      provider: r.provider,
      upstreamModel: r.upstreamModel,
      byok: r.byok,
      owner: r.ownerOrgId !== null ? `org:${r.ownerOrgId}` : `user:${r.ownerUserId ?? ""}`,
      attempts: r.attempts,
      status: r.status,
    }));
  }

  beforeAll(async () => {
    openaiMock = await startMockLlm();
    secondMock = await startMockLlm();
    const databaseUrl = await freshDatabase(DATABASE);
    const pool = new pg.Pool({ connectionString: databaseUrl });
    await migratePostgres(pool);
    await pool.end();
    const env = {
      DATABASE_URL: databaseUrl,
      GATEWAY_ADMIN_TOKEN: ADMIN,
      GATEWAY_TRUSTED_UPSTREAM_HOSTS: "127.0.0.1",
      OPENAI_API_KEY: KEYS.operatorOpenai,
      OPENAI_BASE_URL: openaiMock.baseUrl,
      GATEWAY_PROVIDERS: JSON.stringify([{ id: "second", base_url: secondMock.baseUrl, api_key: KEYS.operatorSecond, models: ["model-b", "model-c"] }]),
    };
    main = await startNode({ ...env, GATEWAY_ENCRYPTION_KEYS: RING });
    req = requester(main.url, ADMIN, keys);
    await seedOwners(req, keys);
    for (const id of ["openai/gpt-4o-mini", "openai/gpt-4o", "openai/o3", "second/model-b", "second/model-c"]) {
      await ok(req("/admin/models", { body: { id, provider: id.slice(0, id.indexOf("/")), input_price: 1, output_price: 2 } }), id);
    }
    await ok(req("/admin/orgs", { body: { id: "gamma", name: "gamma" } }), "gamma");
    await ok(req("/admin/orgs/gamma/members/carol", { method: "PUT", body: { role: "admin" } }), "carol in gamma");
    for (const owner of [{ type: "org", id: "acme" }, { type: "org", id: "beta" }, { type: "org", id: "gamma" }, { type: "user", id: "alice" }]) {
      await ok(req("/admin/credits", { body: { owner, amount_microdollars: 100_000_000 } }), `credit ${owner.id}`);
    }
    await plan("acme", "enterprise");
    await plan("beta", "enterprise");
    await plan("gamma", "enterprise");
    await ok(req("/v1/routes", { as: "alice", body: { owner: { type: "org", id: "acme" }, name: "deep", ...route("openai/o3", "second/model-c") } }), "acme route");
    await ok(req("/v1/routes", { as: "carol", body: { owner: { type: "org", id: "beta" }, name: "mixed", ...route("openai/gpt-4o", "second/model-b") } }), "beta route");
    await ok(req("/v1/routes", { as: "carol", body: { owner: { type: "org", id: "beta" }, name: "own", ...route("openai/own-only", "second/model-b") } }), "beta own route");
    await ensure({ betaKey: "present" });
    await putSettings("beta", "carol", BETA);
    expect(await readSettings("beta")).toEqual({ auto_model: { ...BETA.auto_model, byok_providers: ["openai"] } });
    await ok(req("/v1/routes", { as: "carol", body: { owner: { type: "org", id: "gamma" }, name: "via-own", ...route("openai/gpt-4o", "second/model-b") } }), "gamma route");
    await ensure({ gammaKey: "present" });
    await putSettings("gamma", "carol", GAMMA);
    // What the save records: the provider route/via-own serves on the organization's own key.
    expect(await readSettings("gamma")).toEqual({ auto_model: { ...GAMMA.auto_model, byok_providers: ["openai"] } });
    replica = await startNode({ ...env, GATEWAY_ENCRYPTION_KEYS: OTHER_RING, GATEWAY_ROUTES: JSON.stringify([{ name: "auto", ...route("second/model-c") }]) });
  }, 60_000);

  afterAll(async () => {
    await replica?.close();
    await main?.close();
    await openaiMock?.close();
    await secondMock?.close();
  });

  it.each(ROWS)("$name", async (row) => {
    await ensure(row.given);
    for (const m of mocks()) m.reset();
    const gw = row.gateway === "replica" ? replica : main;
    const answer = await chat(gw, row);
    const requestId = answer.headers.get("x-request-id");
    expect(requestId).toBeTruthy();
    const calls = { openai: callsTo("openai"), second: callsTo("second") };
    const ledger = await ledgerRows(gw, requestId ?? "");
    const want = row.expect;

    if (want.status === 200 && "calls" in want) {
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(answer.body.model).toBe(row.model ?? "auto/org");
      expect(calls).toEqual({ openai: want.calls.filter((c) => c.mock === "openai"), second: want.calls.filter((c) => c.mock === "second") });
      expect(answer.headers.get("x-gateway-model")).toBe(want.ledger.upstreamModel);
      expect(answer.headers.get("x-gateway-provider")).toBe(want.ledger.provider);
      expect(ledger).toEqual([{ model: row.model ?? "auto/org", ...want.ledger, status: 200 }]);
      return;
    }
    if (!("code" in want)) throw new Error(`row "${row.name}" is neither served nor refused`);
    // On failure, say who answered instead.
    expect(answer.status, JSON.stringify({ body: answer.body, calls, ledger })).toBe(want.status);
    expect(answer.body.error?.code).toBe(want.code);
    if (want.says) expect(answer.body.error?.message).toMatch(want.says);
    // Refused before any upstream: no provider at all was called, and nothing was billed.
    expect(calls).toEqual({ openai: [], second: [] });
    expect(ledger).toEqual([]);
  });

  describe("a downgrade leaves the auto model dormant", () => {
    const code = () => chat(main, { ...acme, mode: "code" });
    const stored = { ...ACME.standard, auto_model: { ...ACME.standard.auto_model, byok_providers: [] } };

    it("answers again with the same routes after a re-upgrade", async () => {
      await ensure({ acme: "team" });
      expect((await code()).body.error?.code).toBe("enterprise_plan_required");
      expect(await readSettings("acme")).toEqual(stored);
      await plan("acme", "enterprise");
      world.acme = "standard";
      for (const m of mocks()) m.reset();
      const answer = await code();
      expect([answer.status, answer.body.model, answer.headers.get("x-gateway-model")]).toEqual([200, "auto/org", "model-b"]);
      expect(callsTo("second").map((c) => c.model)).toEqual(["model-b"]);
      expect((await chat(main, { ...acme, mode: "plan" })).headers.get("x-gateway-model")).toBe("o3");
    });

    it("keeps it through a PUT of other settings while downgraded", async () => {
      await ensure({ acme: "team" });
      delete world.acme; // whatever becomes of the auto model, the next row saves its own
      await putSettings("acme", "alice", { ...LISTS, data_collection: "deny" });
      expect(await readSettings("acme")).toEqual({ ...stored, data_collection: "deny" });
      await plan("acme", "enterprise");
      const answer = await code();
      expect([answer.status, answer.headers.get("x-gateway-model")], JSON.stringify(answer.body)).toEqual([200, "model-b"]);
    });

    it("removes it on `auto_model: null`, on any plan", async () => {
      await ensure({ acme: "team" });
      delete world.acme;
      await putSettings("acme", "alice", { ...LISTS, auto_model: null });
      expect(await readSettings("acme")).toEqual(LISTS);
      await plan("acme", "enterprise");
      expect((await code()).body.error?.code).toBe("model_not_found");
    });
  });
});
