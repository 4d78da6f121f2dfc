// Saving an organization's auto model through PUT /v1/orgs/{id}/settings, over HTTP: enterprise
// plan only; every target (the fallback and each mode's) checked as a request acting for the
// organization would resolve it — its own or the operator's route, its custom upstream, its own
// key (recorded in byok_providers), else the operator's key under the catalog rule — and against
// the lists being saved; a refused save leaves the stored settings as they were. Also the
// operator's PATCH /admin/orgs/{id}, whose downgrade leaves the auto model saved but dormant.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requester, seedOwners, type CallerName, type Requester } from "../support/owner-world.ts";
import { startNode, type NodeGateway } from "../support/runtimes/node.ts";

const ADMIN = "auto-model-admin-token-0123456789abcdef";
const RING = `k1:${Buffer.alloc(32, 9).toString("base64")}`;
const BASE_ENV = {
  GATEWAY_ADMIN_TOKEN: ADMIN,
  OPENAI_API_KEY: "sk-operator-openai",
  GATEWAY_ENCRYPTION_KEYS: RING,
  GATEWAY_TRUSTED_UPSTREAM_HOSTS: "127.0.0.1",
  GATEWAY_ROUTES: JSON.stringify([{ name: "config-route", strategy: "fallback", targets: [{ model: "openai/gpt-4o-mini" }] }]),
};

interface Answer {
  status: number;
  body: { error?: { code: string; param: string | null; message: string } } & Record<string, unknown>;
}

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  return { status: res.status, body: text === "" ? {} : JSON.parse(text) };
}

/** Catalog entries, an organization upstream (and a disabled one), acme's own groq key, and routes of every kind of owner. */
async function seedTargets(req: Requester): Promise<void> {
  const ok = async (res: Promise<Response>, what: string) => {
    const a = await answer(await res);
    if (a.status >= 300) throw new Error(`${what}: ${a.status} ${JSON.stringify(a.body)}`);
  };
  const models = [
    { id: "openai/gpt-4o-mini", provider: "openai", input_price: 0.15, output_price: 0.6 },
    { id: "openai/free-one", provider: "openai", free: true },
    { id: "openai/unpriced", provider: "openai" },
    { id: "openai/off", provider: "openai", input_price: 1, output_price: 1, enabled: false },
    { id: "groq/llama", provider: "groq", input_price: 0.1, output_price: 0.1 },
  ];
  for (const m of models) await ok(req("/admin/models", { body: m }), m.id);
  const acme = { type: "org", id: "acme" };
  const upstream = { owner: acme, display_name: "Acme LLM", base_url: "http://127.0.0.1:9/v1", api_key: "sk-acme-upstream" };
  await ok(req("/v1/upstreams", { as: "alice", body: { ...upstream, provider_id: "acmellm" } }), "acmellm");
  await ok(req("/v1/upstreams", { as: "alice", body: { ...upstream, provider_id: "acmeoff", enabled: false } }), "acmeoff");
  await ok(req("/v1/byok-keys/groq", { as: "alice", method: "PUT", body: { api_key: "sk-acme-groq", owner: acme } }), "acme groq key");
  const to = (...models: string[]) => ({ strategy: "fallback", targets: models.map((model) => ({ model })) });
  await ok(req("/v1/routes", { as: "alice", body: { owner: acme, name: "acme-fast", ...to("openai/gpt-4o-mini") } }), "acme route");
  await ok(req("/v1/routes", { as: "carol", body: { owner: { type: "org", id: "beta" }, name: "beta-only", ...to("openai/gpt-4o-mini") } }), "beta route");
  await ok(req("/admin/routes", { body: { name: "shared", ...to("openai/gpt-4o-mini") } }), "operator route");
  await ok(req("/admin/routes", { body: { name: "groq-only", ...to("groq/llama") } }), "operator groq route");
  await ok(req("/admin/routes", { body: { name: "openai/alias-model", ...to("openai/gpt-4o-mini") } }), "operator alias");
}

const auto = (fallback: string, routes: Record<string, string> = {}) => ({ enabled: true, fallback_model: fallback, routes });

describe("organization auto model: saving", () => {
  let gw: NodeGateway;
  let req: Requester;
  const keys: Record<string, string> = {};
  const settings = (org = "acme", as: CallerName = "alice") => req(`/v1/orgs/${org}/settings`, { as }).then(answer);
  const put = (body: unknown, org = "acme", as: CallerName = "alice") => req(`/v1/orgs/${org}/settings`, { as, method: "PUT", body }).then(answer);
  const plan = (org: string, value: string) => req(`/admin/orgs/${org}`, { method: "PATCH", body: { plan: value } }).then(answer);

  beforeAll(async () => {
    gw = await startNode(BASE_ENV);
    req = requester(gw.url, ADMIN, keys);
    await seedOwners(req, keys);
    expect((await plan("acme", "enterprise")).body).toMatchObject({ id: "acme", plan: "enterprise" });
    await seedTargets(req);
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
  });

  it("accepts every kind of target and records the providers served on the organization's own key", async () => {
    const body = {
      provider_denylist: ["together"],
      auto_model: auto("openai/gpt-4o-mini", {
        free: "openai/free-one",
        own: "acmellm/any-model",
        byok: "groq/llama",
        "byok-unlisted": "groq/not-in-the-catalog",
        route: "route/acme-fast",
        shared: "route/shared",
        config: "route/config-route",
        alias: "openai/alias-model",
      }),
    };
    const saved = await put(body);
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    const stored = { ...body, auto_model: { ...body.auto_model, byok_providers: ["groq"] } };
    expect(saved.body).toEqual(stored);
    // Members and the organization's own key read it, byok_providers included.
    expect(await settings("acme", "bob")).toEqual({ status: 200, body: stored });
    expect(await settings("acme", "acme-key")).toEqual({ status: 200, body: stored });
    // Without a target on the organization's key, the list is empty.
    expect((await put({ auto_model: auto("route/shared") })).body).toEqual({ auto_model: { ...auto("route/shared"), byok_providers: [] } });
  });

  // The target, the lists saved with it, why it is refused; the other targets are openai/free-one (or `other`).
  const refusals: [string, Record<string, unknown>, RegExp, string?][] = [
    ["openai/nope", {}, /not in this gateway's catalog/],
    ["openai/off", {}, /disabled on this gateway/],
    ["openai/unpriced", {}, /has no price/],
    ["mistral/large", {}, /provider "mistral" is not served/],
    ["acmeoff/x", {}, /provider "acmeoff" is not served/],
    ["together/x", {}, /neither a custom upstream nor a key of its own/],
    ["route/nope", {}, /names no route/],
    ["route/beta-only", {}, /names no route/],
    ["gpt-4o-mini", {}, /neither a model id/],
    ["auto/org", {}, /provider "auto" is not served/],
    ["openai/gpt-4o-mini", { provider_denylist: ["OpenAI"] }, /provider_allowlist\/provider_denylist/, "groq/llama"],
    ["openai/gpt-4o-mini", { provider_allowlist: ["groq"] }, /provider_allowlist\/provider_denylist/, "groq/llama"],
    ["openai/gpt-4o-mini", { model_allowlist: ["openai/free-one"] }, /model_allowlist/],
    ["groq/llama", { provider_denylist: ["groq"] }, /provider_allowlist\/provider_denylist/],
    ["route/groq-only", { provider_denylist: ["groq"] }, /only leads to models these settings' lists rule out \(groq\/llama\)/],
    ["openai/alias-model", { model_allowlist: ["groq/*"] }, /only leads to models/, "groq/llama"],
  ];

  it.each(refusals)("refuses %s (with %j), naming the target, and keeps the stored settings", async (target, lists, why, other = "openai/free-one") => {
    const kept = { data_collection: "deny" };
    expect((await put(kept)).status).toBe(200);
    const asFallback = await put({ ...lists, auto_model: auto(target, { code: other }) });
    expect(asFallback.status, JSON.stringify(asFallback.body)).toBe(400);
    expect(asFallback.body.error).toMatchObject({ code: "invalid_auto_model", param: "auto_model.fallback_model" });
    expect(asFallback.body.error?.message).toContain(`"${target}"`);
    expect(asFallback.body.error?.message).toMatch(why);
    const asMode = await put({ ...lists, auto_model: auto(other, { code: other, "deep-think": target }) });
    expect(asMode.status).toBe(400);
    expect(asMode.body.error).toMatchObject({ code: "invalid_auto_model", param: "auto_model.routes.deep-think" });
    expect(await settings()).toEqual({ status: 200, body: kept });
  });

  it("answers 403 enterprise_plan_required on other plans, where other settings still save", async () => {
    for (const p of ["free", "team"]) {
      expect((await plan("beta", p)).status).toBe(200);
      const refused = await put({ auto_model: auto("openai/gpt-4o-mini") }, "beta", "carol");
      expect(refused.status).toBe(403);
      expect(refused.body.error).toMatchObject({ code: "enterprise_plan_required", param: "auto_model" });
      expect(await put({ provider_denylist: ["groq"] }, "beta", "carol")).toEqual({ status: 200, body: { provider_denylist: ["groq"] } });
    }
    // Refused for the plan before any target is looked at.
    expect((await put({ auto_model: auto("no-such/model") }, "beta", "carol")).body.error?.code).toBe("enterprise_plan_required");
  });

  it("keeps the settings routes' access rules", async () => {
    const body = { auto_model: auto("openai/gpt-4o-mini") };
    expect((await put(body, "acme", "bob")).body.error?.code).toBe("not_org_admin");
    expect((await put(body, "acme", "acme-key")).body.error?.code).toBe("not_org_admin");
    expect((await put(body, "acme", "dave")).body.error?.code).toBe("not_org_member");
    expect((await settings("acme", "dave")).body.error?.code).toBe("not_org_member");
    expect((await put(body, "acme", "olga")).status).toBe(200);
  });

  it("takes a strict body: byok_providers is the server's to compute", async () => {
    const cases: [unknown, string | null][] = [
      [{ auto_model: { ...auto("openai/gpt-4o-mini"), byok_providers: ["groq"] } }, "auto_model"],
      [{ auto_model: { ...auto("openai/gpt-4o-mini"), extra: 1 } }, "auto_model"],
      [{ auto_model: { enabled: true, routes: {} } }, "auto_model.fallback_model"],
      [{ auto_model: { ...auto("openai/gpt-4o-mini"), enabled: "yes" } }, "auto_model.enabled"],
      [{ auto_model: auto("openai/gpt-4o-mini", { Code: "openai/gpt-4o-mini" }) }, "auto_model.routes.Code"],
      [{ auto_model: auto("openai/gpt-4o-mini", { ["m".repeat(33)]: "openai/gpt-4o-mini" }) }, `auto_model.routes.${"m".repeat(33)}`],
      [{ auto_model: auto("openai/gpt-4o-mini\n") }, "auto_model.fallback_model"],
      [{ auto_model: auto("openai/gpt-4o-mini", { code: " openai/gpt-4o-mini" }) }, "auto_model.routes.code"],
      [{ auto_model: auto("openai/gpt-4o-mini", { code: `openai/${"x".repeat(400)}` }) }, "auto_model.routes.code"],
      [{ auto_model: auto("openai/gpt-4o-mini", Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`m${i}`, "openai/free-one"]))) }, "auto_model.routes"],
      [{ auto_routing: {} }, null],
    ];
    for (const [body, param] of cases) {
      const refused = await put(body);
      expect(refused.status, JSON.stringify(body).slice(0, 120)).toBe(400);
      expect(refused.body.error, JSON.stringify(body).slice(0, 120)).toMatchObject({ code: "invalid_body", param });
    }
    // 32 modes are fine.
    const many = Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`m${i}`, "openai/free-one"]));
    expect((await put({ auto_model: auto("openai/gpt-4o-mini", many) })).status).toBe(200);
  });

  it("leaves the auto model dormant on a downgrade and saves it again after a re-upgrade", async () => {
    const body = { model_allowlist: ["openai/*", "groq/*"], auto_model: auto("groq/llama", { code: "openai/gpt-4o-mini" }) };
    const stored = { ...body, auto_model: { ...body.auto_model, byok_providers: ["groq"] } };
    expect((await put(body)).status).toBe(200);
    expect((await plan("acme", "team")).body).toMatchObject({ id: "acme", name: "acme", plan: "team" });
    expect(await settings()).toEqual({ status: 200, body: stored });
    expect((await put(body)).body.error?.code).toBe("enterprise_plan_required");
    expect(await settings()).toEqual({ status: 200, body: stored });
    expect((await plan("acme", "enterprise")).status).toBe(200);
    expect(await put({ ...body, auto_model: { ...body.auto_model, enabled: false } })).toEqual({ status: 200, body: { ...stored, auto_model: { ...stored.auto_model, enabled: false } } });
  });

  it("keeps a dormant auto model when other settings are saved on a lower plan; null removes it on any plan", async () => {
    const body = { auto_model: auto("openai/gpt-4o-mini", { code: "openai/free-one" }) };
    const stored = { auto_model: { ...body.auto_model, byok_providers: [] } };
    expect((await put(body)).status).toBe(200);
    expect((await plan("acme", "team")).status).toBe(200);
    // Left out on the team plan: the lists change, the dormant auto model stays.
    expect(await put({ provider_denylist: ["together"] })).toEqual({ status: 200, body: { provider_denylist: ["together"], ...stored } });
    expect(await settings()).toEqual({ status: 200, body: { provider_denylist: ["together"], ...stored } });
    expect((await plan("acme", "enterprise")).status).toBe(200);
    // Back on enterprise a PUT replaces the settings: left out, it goes.
    expect(await put({ provider_denylist: ["together"] })).toEqual({ status: 200, body: { provider_denylist: ["together"] } });
    expect((await put(body)).status).toBe(200);
    expect((await plan("acme", "free")).status).toBe(200);
    expect(await put({ auto_model: null })).toEqual({ status: 200, body: {} });
    expect(await settings()).toEqual({ status: 200, body: {} });
    expect((await plan("acme", "enterprise")).status).toBe(200);
  });

  it("PATCH /admin/orgs/{id}: name and plan, operator only, strict", async () => {
    const renamed = await req("/admin/orgs/beta", { method: "PATCH", body: { name: "Beta Inc" } }).then(answer);
    expect(renamed).toMatchObject({ status: 200, body: { id: "beta", name: "Beta Inc" } });
    const refused: [unknown, number, string][] = [
      [{}, 400, "invalid_body"],
      [{ plan: "platinum" }, 400, "invalid_body"],
      [{ plan: "team", settings: {} }, 400, "invalid_body"],
      [{ name: " " }, 400, "invalid_body"],
    ];
    for (const [body, status, code] of refused) {
      const a = await req("/admin/orgs/beta", { method: "PATCH", body }).then(answer);
      expect([a.status, a.body.error?.code], JSON.stringify(body)).toEqual([status, code]);
    }
    expect((await req("/admin/orgs/nope", { method: "PATCH", body: { plan: "team" } }).then(answer)).body.error?.code).toBe("org_not_found");
    expect((await req("/admin/orgs/beta", { as: "carol", method: "PATCH", body: { plan: "enterprise" } })).status).toBeGreaterThanOrEqual(401);
  });
});

describe("organization auto model: pass-through pricing", () => {
  let gw: NodeGateway;
  let req: Requester;
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    gw = await startNode({ ...BASE_ENV, GATEWAY_PASSTHROUGH_PRICING: "true" });
    req = requester(gw.url, ADMIN, keys);
    await seedOwners(req, keys);
    await req("/admin/orgs/acme", { method: "PATCH", body: { plan: "enterprise" } });
    await seedTargets(req);
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
  });

  it("accepts unpriced and unlisted models on the operator's key, never disabled ones", async () => {
    const put = (body: unknown) => req("/v1/orgs/acme/settings", { as: "alice", method: "PUT", body }).then(answer);
    expect((await put({ auto_model: auto("openai/unpriced", { code: "openai/not-listed" }) })).status).toBe(200);
    const off = await put({ auto_model: auto("openai/unpriced", { code: "openai/off" }) });
    expect(off.body.error).toMatchObject({ code: "invalid_auto_model", param: "auto_model.routes.code" });
  });
});
