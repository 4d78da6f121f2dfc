// Routes may name other routes (`route/<name>` targets). Saving one must not make any route of
// the saving owner's view expand forever (a cycle) or through more than MAX_ROUTE_DEPTH routes.
// Only `route/<name>` targets expand: a plain model id, even one an operator alias is named by,
// means the model itself here, so an alias may list the model it stands for.
import { sameOwner } from "../domain/owner.ts";
import type { NamedRoute } from "./route-definition.ts";
import { isAliasName, routeModelId, routeNameOf } from "./route-name.ts";

/** Routes one request may pass through at most: the one it names and those it expands into. */
export const MAX_ROUTE_DEPTH = 4;

export type GraphRoute = Pick<NamedRoute, "owner" | "name" | "definition">;

export interface GraphProblem {
  code: "route_cycle" | "route_too_deep";
  /** The routes in the order a request would pass through them. */
  chain: GraphRoute[];
}

interface Walk {
  problem?: GraphProblem["code"];
  chain: GraphRoute[];
}

const sameRoute = (a: GraphRoute, b: GraphRoute) => a.name === b.name && (a.owner === null || b.owner === null ? a.owner === b.owner : sameOwner(a.owner, b.owner));

/** The names of the routes `route` names among its targets. */
function expansions(route: GraphRoute): string[] {
  const names: string[] = [];
  for (const t of route.definition.targets) {
    const name = routeNameOf(t.model);
    if (name !== undefined) names.push(name);
  }
  return names;
}

/** The deepest chain `node` expands through (after `path`), or the first cycle or excess depth met. */
function below(node: GraphRoute, byName: ReadonlyMap<string, GraphRoute>, path: readonly GraphRoute[]): Walk {
  const chain = [...path, node];
  if (chain.length > MAX_ROUTE_DEPTH) return { problem: "route_too_deep", chain };
  let deepest = chain;
  for (const name of expansions(node)) {
    const next = byName.get(name);
    if (next === undefined) continue; // resolved (or refused) per request
    if (chain.includes(next)) return { problem: "route_cycle", chain: [...chain, next] };
    const walk = below(next, byName, chain);
    if (walk.problem !== undefined) return walk;
    if (walk.chain.length > deepest.length) deepest = walk.chain;
  }
  return { chain: deepest };
}

/** The longest chain of routes that ends in `node` (a loop among them is not followed). */
function above(node: GraphRoute, callers: ReadonlyMap<GraphRoute, GraphRoute[]>, seen: readonly GraphRoute[]): GraphRoute[] {
  let longest = [node];
  for (const caller of callers.get(node) ?? []) {
    if (caller === node || seen.includes(caller)) continue;
    const chain = [...above(caller, callers, [node, ...seen]), node];
    if (chain.length > longest.length) longest = chain;
    if (longest.length > MAX_ROUTE_DEPTH) break;
  }
  return longest;
}

/**
 * What saving `saved` would break in one owner's view, or null. `view` lists the routes that
 * owner's requests can reach, highest precedence first (its own first, so `saved` replaces the
 * stored route of its name and is never shadowed). A problem is only reported when `saved` is on
 * it: a loop elsewhere is not this save's doing.
 */
export function graphProblem(saved: GraphRoute, view: readonly GraphRoute[]): GraphProblem | null {
  const routes = [saved, ...view.filter((r) => !sameRoute(r, saved))];
  const byName = new Map<string, GraphRoute>();
  for (const r of routes) if (!isAliasName(r.name) && !byName.has(r.name)) byName.set(r.name, r);
  const reachable = routes.filter((r) => isAliasName(r.name) || byName.get(r.name) === r);

  const down = below(saved, byName, []);
  if (down.problem !== undefined) return { code: down.problem, chain: down.chain };

  const callers = new Map<GraphRoute, GraphRoute[]>();
  for (const r of reachable) {
    for (const name of expansions(r)) {
      const target = byName.get(name);
      if (target !== undefined) callers.set(target, [...(callers.get(target) ?? []), r]);
    }
  }
  const up = above(saved, callers, []);
  const chain = [...up, ...down.chain.slice(1)];
  return chain.length > MAX_ROUTE_DEPTH ? { code: "route_too_deep", chain } : null;
}

const ownerLabel = (r: GraphRoute) => (r.owner === null ? "operator" : `${r.owner.type} ${r.owner.id}`);

/** A chain as an error message shows it: route/a (user alice) -> route/b (operator) -> … */
export function describeChain(chain: readonly GraphRoute[]): string {
  return chain.map((r) => `${routeModelId(r.name)} (${ownerLabel(r)})`).join(" -> ");
}

/** The sentence a refused save answers with. */
export function describeProblem(p: GraphProblem): string {
  const chain = describeChain(p.chain);
  return p.code === "route_cycle"
    ? `targets: routes would expand into themselves: ${chain}.`
    : `targets: a request would pass through more than ${MAX_ROUTE_DEPTH} routes: ${chain}.`;
}
