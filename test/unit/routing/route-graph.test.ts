// The save-time rules of named routes without a database: names, the cycle and depth check over
// one owner's view, and GATEWAY_ROUTES checked at start-up.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/schema.ts";
import type { Owner } from "../../../src/domain/owner.ts";
import { configRoutes } from "../../../src/routing/config-routes.ts";
import type { RouteDefinition } from "../../../src/routing/route-definition.ts";
import { describeChain, graphProblem, MAX_ROUTE_DEPTH, type GraphRoute } from "../../../src/routing/route-graph.ts";
import { routeNameProblem } from "../../../src/routing/route-name.ts";

const fallback = (...models: string[]): RouteDefinition => ({ strategy: "fallback", targets: models.map((model) => ({ model })) });
const alice: Owner = { type: "user", id: "alice" };
const acme: Owner = { type: "org", id: "acme" };
const r = (owner: Owner | null, name: string, ...models: string[]): GraphRoute => ({ owner, name, definition: fallback(...models) });
const names = (chain: readonly GraphRoute[] | undefined) => chain?.map((x) => `${x.owner === null ? "op" : x.owner.id}:${x.name}`);

describe("route names", () => {
  it.each([
    ["fast", "owner", null],
    ["a.b_c-9", "owner", null],
    ["x".repeat(64), "owner", null],
    ["x".repeat(65), "owner", "slug"],
    ["Fast", "owner", "slug"],
    ["-fast", "owner", "slug"],
    ["openai/gpt-4o-mini", "owner", "slug"],
    ["openai/gpt-4o-mini", "operator", null],
    ["openrouter/openai/gpt-4o-mini", "operator", null],
    ["route/fast", "operator", "route/"],
    ["/gpt", "operator", "<provider>/<model>"],
    ["openai/", "operator", "<provider>/<model>"],
    ["openai/gpt\n", "operator", "whitespace"],
    ["fast", "operator", null],
  ] as const)("%s for %s: %s", (name, by, problem) => {
    const found = routeNameProblem(name, by);
    if (problem === null) expect(found).toBeNull();
    else expect(found).toContain(problem);
  });
});

describe("graphProblem", () => {
  it("accepts targets that name models, unknown routes and aliases", () => {
    const alias = r(null, "openai/gpt-4o-mini", "openai/gpt-4o-mini", "openrouter/openai/gpt-4o-mini");
    expect(graphProblem(alias, [alias])).toBeNull();
    expect(graphProblem(r(alice, "a", "route/nowhere", "openai/gpt-4o-mini"), [alias])).toBeNull();
  });

  it("refuses a route naming itself, and a loop through other owners' routes, naming the chain", () => {
    const self = graphProblem(r(alice, "a", "route/a"), []);
    expect(self?.code).toBe("route_cycle");
    expect(names(self?.chain)).toEqual(["alice:a", "alice:a"]);

    // alice's b -> acme's c -> the operator's d -> route/b, which alice's requests find as hers.
    const view = [r(acme, "c", "route/d"), r(null, "d", "route/b")];
    const loop = graphProblem(r(alice, "b", "openai/x", "route/c"), view);
    expect(loop?.code).toBe("route_cycle");
    expect(names(loop?.chain)).toEqual(["alice:b", "acme:c", "op:d", "alice:b"]);
    expect(describeChain(loop?.chain ?? [])).toBe("route/b (user alice) -> route/c (org acme) -> route/d (operator) -> route/b (user alice)");
  });

  it("follows the view's precedence: a shadowed route is not the one a name reaches", () => {
    // alice's own x shadows acme's x (which would loop back to alice's y).
    const view = [r(alice, "x", "openai/x"), r(acme, "x", "route/y")];
    expect(graphProblem(r(alice, "y", "route/x"), view)).toBeNull();
  });

  it("replaces the stored route of the name being saved", () => {
    const view = [r(alice, "a", "route/b"), r(alice, "b", "openai/x")];
    expect(graphProblem(r(alice, "b", "route/a"), view)?.code).toBe("route_cycle");
    expect(graphProblem(r(alice, "a", "openai/y"), [...view, r(alice, "c", "route/a")])).toBeNull();
  });

  it(`allows ${MAX_ROUTE_DEPTH} routes in a chain and refuses one more, below or above the saved route`, () => {
    const chain = [r(alice, "b", "route/c"), r(alice, "c", "route/d"), r(alice, "d", "openai/x")];
    expect(graphProblem(r(alice, "a", "route/b"), chain)).toBeNull();
    const below = graphProblem(r(alice, "a", "route/b"), [...chain.slice(0, 2), r(alice, "d", "route/e"), r(alice, "e", "openai/x")]);
    expect(below?.code).toBe("route_too_deep");
    expect(names(below?.chain)).toEqual(["alice:a", "alice:b", "alice:c", "alice:d", "alice:e"]);
    // Saving the end of a chain that is already four long: the longest chain through it is named.
    const above = graphProblem(r(alice, "d", "route/e"), [r(alice, "a", "route/b"), ...chain, r(alice, "e", "openai/x")]);
    expect(above?.code).toBe("route_too_deep");
    expect(names(above?.chain)).toEqual(["alice:a", "alice:b", "alice:c", "alice:d", "alice:e"]);
  });

  it("ignores a loop the saved route is not on", () => {
    const view = [r(null, "p", "route/q"), r(null, "q", "route/p")];
    expect(graphProblem(r(null, "solo", "openai/x"), view)).toBeNull();
  });
});

describe("GATEWAY_ROUTES", () => {
  const routesOf = (value: unknown) => configRoutes(parseConfig({ GATEWAY_ROUTES: JSON.stringify(value) }));

  it("declares operator routes and aliases, read-only", () => {
    const routes = routesOf([
      { name: "openai/gpt-4o-mini", strategy: "weighted", targets: [{ model: "openai/gpt-4o-mini", weight: 3 }, { model: "openrouter/openai/gpt-4o-mini", weight: 1 }] },
      { name: "fast", strategy: "fallback", targets: [{ model: "route/openai-ish" }, { model: "groq/llama-3" }], retry: { attempts: 2 } },
    ]);
    expect(routes.map((x) => [x.name, x.owner, x.source])).toEqual([
      ["openai/gpt-4o-mini", null, "config"],
      ["fast", null, "config"],
    ]);
    expect(routes[1]?.definition.retry).toEqual({ attempts: 2 });
  });

  it.each([
    ["not JSON", "{", "must be a JSON array"],
    ["no name", [{ strategy: "fallback", targets: [{ model: "a/b" }] }], "0.name"],
    ["a bad name", [{ name: "Fast", strategy: "fallback", targets: [{ model: "a/b" }] }], "0.name: must be a lower-case slug"],
    ["a twice-declared name", [{ name: "a", strategy: "fallback", targets: [{ model: "a/b" }] }, { name: "a", strategy: "fallback", targets: [{ model: "a/c" }] }], "1.name"],
    ["an unknown field", [{ name: "a", strategy: "fallback", targets: [{ model: "a/b" }], stickyy: "user" }], "0: Unrecognized key"],
    ["a weighted route without weights", [{ name: "a", strategy: "weighted", targets: [{ model: "a/b" }] }], "0.targets: a weighted route"],
    ["a cycle", [{ name: "a", strategy: "fallback", targets: [{ model: "route/b" }] }, { name: "b", strategy: "fallback", targets: [{ model: "route/a" }] }], "route/a (operator) -> route/b (operator) -> route/a"],
  ])("stops start-up on %s, naming the setting", (_what, value, message) => {
    const raw = typeof value === "string" ? value : JSON.stringify(value);
    expect(() => configRoutes(parseConfig({ GATEWAY_ROUTES: raw }))).toThrow(/GATEWAY_ROUTES/);
    expect(() => configRoutes(parseConfig({ GATEWAY_ROUTES: raw }))).toThrow(message);
  });
});
