// Named routes through the HTTP API of the Node gateway: saving, reading, changing and removing
// them (/v1/routes, /admin/routes), refusing cycles and excess depth as the saving owner's
// requests would expand them, operator aliases of model ids, GATEWAY_ROUTES read-only, strict
// bodies, and what GET /v1/models lists.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN } from "../conformance/suite.ts";
import { requester, seedOwners, type Requester } from "../support/owner-world.ts";
import { startNode, type NodeGateway } from "../support/runtimes/node.ts";

interface RouteAnswer {
  id: string;
  name: string;
  model: string;
  owner: { type: string; id: string } | null;
  source: "api" | "config";
  strategy: string;
  targets: { model: string; weight?: number; health?: unknown }[];
  retry?: unknown;
  sticky?: string;
  failover?: unknown;
  created_at: string | null;
}
interface ErrorAnswer {
  error: { code: string; message: string; param: string | null };
}

const FAILOVER = { error_rate_threshold: 0.5, window_s: 60, min_requests: 10, cooldown_s: 30 };
const CONFIG_ROUTES = [
  { name: "cfg-fast", strategy: "fallback", targets: [{ model: "openai/gpt-4o-mini" }, { model: "groq/llama-3" }] },
  {
    name: "openai/gpt-4o-mini",
    strategy: "weighted",
    targets: [
      { model: "openai/gpt-4o-mini", weight: 3 },
      { model: "openrouter/openai/gpt-4o-mini", weight: 1 },
    ],
    failover: FAILOVER,
  },
];
const to = (...models: string[]) => ({ strategy: "fallback", targets: models.map((model) => ({ model })) });

let gw: NodeGateway;
let req: Requester;
const keys: Record<string, string> = {};

beforeAll(async () => {
  gw = await startNode({ OPENAI_API_KEY: "sk-operator-routes-0000", GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN, GATEWAY_ROUTES: JSON.stringify(CONFIG_ROUTES) });
  req = requester(gw.url, ADMIN_TOKEN, keys);
  await seedOwners(req, keys);
  expect((await req("/admin/models", { body: { id: "openai/gpt-4o-mini", provider: "openai", input_price: 0.15, output_price: 0.6 } })).status).toBe(200);
}, 60_000);
afterAll(async () => {
  await gw?.close();
});

async function ok<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return (text === "" ? undefined : JSON.parse(text)) as T;
}
async function refused(res: Response, status: number, code: string): Promise<ErrorAnswer["error"]> {
  const answer = await ok<ErrorAnswer>(res, status);
  expect(answer.error.code, answer.error.message).toBe(code);
  return answer.error;
}
const listOf = async (path: string, init: Parameters<Requester>[1] = {}) => (await ok<{ data: RouteAnswer[] }>(await req(path, init), 200)).data;

describe("self-service routes", () => {
  it("saves, lists, reads, changes and removes a route", async () => {
    const created = await ok<RouteAnswer>(await req("/v1/routes", { as: "dave", body: { name: "fast", ...to("openai/gpt-4o-mini", "groq/llama-3"), sticky: "user" } }), 201);
    expect(created).toMatchObject({ name: "fast", model: "route/fast", owner: { type: "user", id: "dave" }, source: "api", strategy: "fallback", sticky: "user" });
    expect(created.id).toMatch(/^rte_/);

    const listed = await listOf("/v1/routes", { as: "dave" });
    expect(listed.map((r) => [r.model, r.source, r.owner])).toEqual([
      ["route/fast", "api", { type: "user", id: "dave" }],
      ["route/cfg-fast", "config", null],
      ["openai/gpt-4o-mini", "config", null],
    ]);
    expect(await ok<RouteAnswer>(await req("/v1/routes/fast", { as: "dave" }), 200)).toEqual(created);

    const retried = await ok<RouteAnswer>(await req("/v1/routes/fast", { method: "PATCH", as: "dave", body: { retry: { attempts: 2, on_status: [429, 503] }, sticky: null } }), 200);
    expect(retried.retry).toEqual({ attempts: 2, on_status: [429, 503] });
    expect(retried).not.toHaveProperty("sticky");
    expect(retried.targets).toEqual(created.targets);
    // A PATCH is checked merged with what is stored: weighted needs every weight.
    const weightless = await refused(await req("/v1/routes/fast", { method: "PATCH", as: "dave", body: { strategy: "weighted" } }), 400, "invalid_body");
    expect(weightless.param).toBe("targets");
    const weighted = await ok<RouteAnswer>(
      await req("/v1/routes/fast", { method: "PATCH", as: "dave", body: { strategy: "weighted", targets: [{ model: "openai/gpt-4o-mini", weight: 1 }, { model: "groq/llama-3", weight: 2 }], retry: null } }),
      200,
    );
    expect(weighted).toMatchObject({ strategy: "weighted", targets: [{ weight: 1 }, { weight: 2 }] });
    expect(weighted).not.toHaveProperty("retry");

    await refused(await req("/v1/routes", { as: "dave", body: { name: "fast", ...to("openai/x") } }), 409, "route_exists");
    expect((await req("/v1/routes/fast", { method: "DELETE", as: "dave" })).status).toBe(204);
    await refused(await req("/v1/routes/fast", { as: "dave" }), 404, "named_route_not_found");
    await refused(await req("/v1/routes/fast", { method: "DELETE", as: "dave" }), 404, "named_route_not_found");
  });

  it("reads the operator's routes but never changes them here", async () => {
    expect(await ok<RouteAnswer>(await req("/v1/routes/cfg-fast", { as: "dave" }), 200)).toMatchObject({ source: "config", owner: null, created_at: null });
    await refused(await req("/v1/routes/cfg-fast", { method: "PATCH", as: "dave", body: { sticky: "user" } }), 403, "route_read_only");
    await refused(await req("/v1/routes/cfg-fast", { method: "DELETE", as: "dave" }), 403, "route_read_only");
    // A route of one's own of the same name is found first.
    await ok(await req("/v1/routes", { as: "dave", body: { name: "cfg-fast", ...to("openai/mine") } }), 201);
    expect((await ok<RouteAnswer>(await req("/v1/routes/cfg-fast", { as: "dave" }), 200)).owner).toEqual({ type: "user", id: "dave" });
    expect((await req("/v1/routes/cfg-fast", { method: "DELETE", as: "dave" })).status).toBe(204);
    // Aliases are model ids, not route/<name>: the path never names one.
    await refused(await req("/v1/routes/openai%2Fgpt-4o-mini", { as: "dave" }), 404, "named_route_not_found");
  });

  it.each([
    ["an unknown field", { name: "s1", ...to("a/b"), ownr: { type: "user" } }, "ownr"],
    ["an unknown field in a target", { name: "s2", strategy: "fallback", targets: [{ model: "a/b", wieght: 1 }] }, "wieght"],
    ["an unknown field in retry", { name: "s3", ...to("a/b"), retry: { attempts: 2, on: [500] } }, "on"],
    ["a name that is no slug", { name: "Fast", ...to("a/b") }, "name"],
    ["a name with a slash", { name: "openai/gpt-4o-mini", ...to("a/b") }, "name"],
    ["a bad model id", { name: "s4", ...to("a/b\u0000") }, "targets.0.model"],
    ["no targets", { name: "s5", strategy: "fallback", targets: [] }, "targets"],
    ["a status that never fails over", { name: "s6", ...to("a/b"), retry: { attempts: 2, on_status: [404] } }, "retry.on_status"],
    ["an unknown sticky mode", { name: "s7", ...to("a/b"), sticky: "session" }, "sticky"],
  ])("refuses %s, naming the field", async (_what, body, field) => {
    const err = await refused(await req("/v1/routes", { as: "dave", body }), 400, "invalid_body");
    expect(`${err.param ?? ""} ${err.message}`).toContain(field);
    expect((await listOf("/v1/routes", { as: "dave" })).filter((r) => r.source === "api")).toEqual([]);
  });

  it("refuses name or owner in a PATCH: neither ever changes", async () => {
    await ok(await req("/v1/routes", { as: "dave", body: { name: "fixed", ...to("a/b") } }), 201);
    for (const body of [{ name: "other" }, { owner: { type: "user" } }]) {
      const err = await refused(await req("/v1/routes/fixed", { method: "PATCH", as: "dave", body }), 400, "invalid_body");
      expect(err.message).toContain(Object.keys(body)[0]);
    }
    expect((await req("/v1/routes/fixed", { method: "DELETE", as: "dave" })).status).toBe(204);
  });
});

describe("cycles and depth, as the saving owner's requests expand routes", () => {
  it("refuses a route naming itself, and a loop closed by a PATCH, naming the chain", async () => {
    const self = await refused(await req("/v1/routes", { as: "carol", body: { name: "me", ...to("route/me") } }), 400, "route_cycle");
    expect(self.message).toContain("route/me (user carol) -> route/me (user carol)");
    await ok(await req("/v1/routes", { as: "carol", body: { name: "a", ...to("route/b") } }), 201);
    await ok(await req("/v1/routes", { as: "carol", body: { name: "b", ...to("openai/gpt-4o-mini") } }), 201);
    const loop = await refused(await req("/v1/routes/b", { method: "PATCH", as: "carol", body: { targets: [{ model: "groq/llama-3" }, { model: "route/a" }] } }), 400, "route_cycle");
    expect(loop.param).toBe("targets");
    expect(loop.message).toContain("route/b (user carol) -> route/a (user carol) -> route/b (user carol)");
    expect((await ok<RouteAnswer>(await req("/v1/routes/b", { as: "carol" }), 200)).targets).toEqual([{ model: "openai/gpt-4o-mini" }]);
  });

  it("refuses a loop through an organization's route", async () => {
    // acme's shared -> route/mine, which alice's requests find as hers.
    await ok(await req("/v1/routes", { as: "alice", body: { owner: { type: "org", id: "acme" }, name: "shared", ...to("route/mine") } }), 201);
    const err = await refused(await req("/v1/routes", { as: "alice", body: { name: "mine", ...to("route/shared") } }), 400, "route_cycle");
    expect(err.message).toContain("route/mine (user alice) -> route/shared (org acme) -> route/mine (user alice)");
    // carol is in beta, not acme: her requests never reach acme's shared, so hers is no loop.
    await ok(await req("/v1/routes", { as: "carol", body: { name: "mine", ...to("route/shared") } }), 201);
  });

  it("refuses a loop through the operator's route, for a user and for an organization", async () => {
    await ok(await req("/admin/routes", { body: { name: "op-loop", ...to("route/x", "route/team-x") } }), 201);
    const user = await refused(await req("/v1/routes", { as: "dave", body: { name: "x", ...to("route/op-loop") } }), 400, "route_cycle");
    expect(user.message).toContain("route/x (user dave) -> route/op-loop (operator) -> route/x (user dave)");
    const org = await refused(await req("/v1/routes", { as: "olga", org: "acme", body: { name: "team-x", ...to("route/op-loop") } }), 400, "route_cycle");
    expect(org.message).toContain("route/team-x (org acme) -> route/op-loop (operator) -> route/team-x (org acme)");
    // The operator's own save is checked in its own view: a route/x it does not have is no loop.
    expect((await req("/admin/routes/op-loop", { method: "DELETE" })).status).toBe(204);
  });

  it("allows four routes in a chain and refuses a fifth", async () => {
    for (const [name, target] of [["d4", "openai/gpt-4o-mini"], ["d3", "route/d4"], ["d2", "route/d3"], ["d1", "route/d2"]]) {
      await ok(await req("/v1/routes", { as: "bob", body: { name, ...to(target ?? "") } }), 201);
    }
    await ok(await req("/v1/routes", { as: "bob", body: { name: "d5", ...to("openai/gpt-4o-mini") } }), 201);
    const deep = await refused(await req("/v1/routes/d4", { method: "PATCH", as: "bob", body: { targets: [{ model: "route/d5" }] } }), 400, "route_too_deep");
    expect(deep.message).toContain("route/d1 (user bob) -> route/d2 (user bob) -> route/d3 (user bob) -> route/d4 (user bob) -> route/d5 (user bob)");
    await refused(await req("/v1/routes", { as: "bob", body: { name: "d0", ...to("route/d1") } }), 400, "route_too_deep");
  });
});

describe("operator routes", () => {
  const alias = "together/llama-3";
  const path = `/admin/routes/${encodeURIComponent(alias)}`;

  it("names an alias by the model id it stands for, its slash percent-encoded in the path", async () => {
    const created = await ok<RouteAnswer>(await req("/admin/routes", { body: { name: alias, ...to(alias, "groq/llama-3"), failover: FAILOVER } }), 201);
    expect(created).toMatchObject({ name: alias, model: alias, owner: null, source: "api" });
    expect(path).toBe("/admin/routes/together%2Fllama-3");
    expect(await ok<RouteAnswer>(await req(path), 200)).toEqual(created);
    const changed = await ok<RouteAnswer>(await req(path, { method: "PATCH", body: { strategy: "weighted", targets: [{ model: alias, weight: 1 }, { model: "groq/llama-3", weight: 1 }] } }), 200);
    expect(changed.strategy).toBe("weighted");
    expect((await listOf("/admin/routes")).map((r) => r.name)).toContain(alias);
    await refused(await req("/admin/routes", { body: { name: alias, ...to("groq/llama-3") } }), 409, "route_exists");
    expect((await req(path, { method: "DELETE" })).status).toBe(204);
    await refused(await req(path), 404, "named_route_not_found");
  });

  it.each([
    ["route/x", "must not start with"],
    ["/gpt", "<provider>/<model>"],
    ["Fast", "slug"],
  ])("refuses the name %s", async (name, message) => {
    const err = await refused(await req("/admin/routes", { body: { name, ...to("a/b") } }), 400, "invalid_body");
    expect(err.param).toBe("name");
    expect(err.message).toContain(message);
  });

  it("lists GATEWAY_ROUTES read-only; one saved of the same name overrides it until removed", async () => {
    const configured = await ok<RouteAnswer>(await req("/admin/routes/openai%2Fgpt-4o-mini"), 200);
    expect(configured).toMatchObject({ source: "config", id: "config:openai/gpt-4o-mini", created_at: null });
    await refused(await req("/admin/routes/cfg-fast", { method: "PATCH", body: { sticky: "task" } }), 403, "route_read_only");
    await refused(await req("/admin/routes/cfg-fast", { method: "DELETE" }), 403, "route_read_only");

    await ok(await req("/admin/routes", { body: { name: "cfg-fast", ...to("openai/override") } }), 201);
    const overridden = (await listOf("/admin/routes")).filter((r) => r.name === "cfg-fast");
    expect(overridden.map((r) => [r.source, r.targets[0]?.model])).toEqual([["api", "openai/override"]]);
    expect((await ok<RouteAnswer>(await req("/v1/routes/cfg-fast", { as: "dave" }), 200)).source).toBe("api");
    expect((await req("/admin/routes/cfg-fast", { method: "DELETE" })).status).toBe(204);
    expect((await ok<RouteAnswer>(await req("/admin/routes/cfg-fast"), 200)).source).toBe("config");
  });

  it("shows every route with failover, of every owner, in the health view", async () => {
    await ok(await req("/v1/routes", { as: "olga", body: { name: "watched", ...to("openai/gpt-4o-mini", "groq/llama-3"), failover: FAILOVER } }), 201);
    const health = await listOf("/admin/route-health");
    expect(health.map((r) => [r.model, r.owner])).toEqual(
      expect.arrayContaining([
        ["route/watched", { type: "user", id: "olga" }],
        ["openai/gpt-4o-mini", null],
      ]),
    );
    expect(health.every((r) => r.failover !== undefined)).toBe(true);
    // No request went through these targets yet: the board has nothing to show.
    expect(health.flatMap((r) => r.targets).every((t) => t.health === undefined)).toBe(true);
  });

  it("needs the operator token", async () => {
    await refused(await req("/admin/routes", { as: "alice" }), 401, "invalid_token");
  });
});

describe("GET /v1/models", () => {
  it("lists each route the caller's requests can name once, with its owner and strategy", async () => {
    await ok(await req("/v1/routes", { as: "olga", org: "acme", body: { name: "team", ...to("openai/gpt-4o-mini") } }), 201);
    await ok(await req("/v1/routes", { as: "olga", body: { name: "team", strategy: "weighted", targets: [{ model: "openai/gpt-4o-mini", weight: 1 }] } }), 201);
    const models = (await ok<{ data: { id: string; owned_by: string; route?: { strategy: string } }[] }>(await req("/v1/models", { as: "olga" }), 200)).data;
    const ids = models.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    const byId = new Map(models.map((m) => [m.id, m]));
    // olga's own team shadows acme's; acme's shared and the operator's cfg-fast are hers to use.
    expect(byId.get("route/team")).toMatchObject({ owned_by: "you", route: { strategy: "weighted" } });
    expect(byId.get("route/shared")).toMatchObject({ owned_by: "org:acme", route: { strategy: "fallback" } });
    expect(byId.get("route/cfg-fast")).toMatchObject({ owned_by: "operator", route: { strategy: "fallback" } });
    // An alias is the catalog's own entry, marked as routed.
    expect(byId.get("openai/gpt-4o-mini")).toMatchObject({ owned_by: "openai", route: { strategy: "weighted" } });

    // Acting for acme, its team is the one her requests find.
    const acting = (await ok<{ data: { id: string; owned_by: string }[] }>(await req("/v1/models", { as: "olga", org: "acme" }), 200)).data;
    expect(acting.find((m) => m.id === "route/team")?.owned_by).toBe("org:acme");
    // dave belongs to no organization: acme's routes are not his.
    const daves = (await ok<{ data: { id: string }[] }>(await req("/v1/models", { as: "dave" }), 200)).data.map((m) => m.id);
    expect(daves).not.toContain("route/shared");
    expect(daves).toContain("route/cfg-fast");
  });
});

describe("chat with a route name", () => {
  it("answers 404 named_route_not_found (param model) for a name the caller's requests cannot find, before any upstream call", async () => {
    for (const [as, org] of [["dave", undefined], ["olga", "acme"]] as const) {
      const res = await req("/v1/chat/completions", { as, ...(org ? { org } : {}), body: { model: "route/no-such-route", messages: [{ role: "user", content: "hi" }] } });
      const error = await refused(res, 404, "named_route_not_found");
      expect(error.param).toBe("model");
      expect(error.message).toContain('"no-such-route"');
    }
    // acme's route is not dave's to name.
    await refused(await req("/v1/chat/completions", { as: "dave", body: { model: "route/shared", messages: [{ role: "user", content: "hi" }] } }), 404, "named_route_not_found");
  });
});
