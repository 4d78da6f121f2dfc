// Named routes as the API answers them: the definition beside name, owner and source, and per
// target the health the board reports when the route has failover (one read for a whole answer).
import { CATALOG_CREATED } from "../../catalog/model-view.ts";
import type { Container } from "../../container/container.ts";
import { describeError } from "../../http/describe-error.ts";
import { healthKeyOf, type NamedRoute } from "../../routing/route-definition.ts";
import type { HealthQuery, HealthView } from "../../routing/route-health.ts";
import { routeModelId } from "../../routing/route-name.ts";
import type { StoredRoute } from "../../routing/route-store.ts";

type HealthOf = (targetIndex: number) => HealthView | undefined;

function routeView(r: StoredRoute, healthOf: HealthOf) {
  const { strategy, targets, retry, sticky, failover } = r.definition;
  return {
    object: "route" as const,
    id: r.id,
    name: r.name,
    model: routeModelId(r.name),
    owner: r.owner,
    source: r.source,
    strategy,
    targets: targets.map((t, i) => {
      const h = healthOf(i);
      return {
        model: t.model,
        ...(t.weight !== undefined ? { weight: t.weight } : {}),
        ...(h ? { health: { state: h.state, error_rate: h.errorRate, calls: h.calls, cooling_ms: h.coolingMs } } : {}),
      };
    }),
    ...(retry ? { retry } : {}),
    ...(sticky ? { sticky } : {}),
    ...(failover ? { failover } : {}),
    created_at: r.createdAt?.toISOString() ?? null,
    updated_at: r.updatedAt?.toISOString() ?? null,
  };
}

/** Health of every failover target of `routes`, read in one go; a failed read leaves it out (logged). */
async function healthOfRoutes(c: Container, routes: readonly StoredRoute[]): Promise<HealthOf[]> {
  const read = c.routeHealth;
  const queries: HealthQuery[] = [];
  const slots = routes.map((r) => {
    const failover = r.definition.failover;
    if (read === undefined || failover === undefined) return [];
    return r.definition.targets.map((_, i) => queries.push({ key: healthKeyOf(r, i), failover }) - 1);
  });
  let found: readonly (HealthView | undefined)[] = [];
  if (read !== undefined && queries.length > 0) {
    try {
      found = await read(queries);
    } catch (err) {
      c.logger.warn("route health unavailable", { error: describeError(err) });
    }
  }
  return slots.map((at) => (i) => {
    const slot = at[i];
    return slot === undefined ? undefined : found[slot];
  });
}

export async function routeViews(c: Container, routes: readonly StoredRoute[]) {
  const health = await healthOfRoutes(c, routes);
  return routes.map((r, i) => routeView(r, health[i] ?? (() => undefined)));
}

export async function oneRouteView(c: Container, route: StoredRoute) {
  const [view] = await routeViews(c, [route]);
  if (view === undefined) throw new Error("no view for a route");
  return view;
}

/** A route as GET /v1/models lists it: `route/<name>` (or an alias's id), owned by its owner. */
export function routeModelEntry(r: NamedRoute) {
  return {
    id: routeModelId(r.name),
    object: "model" as const,
    created: CATALOG_CREATED,
    owned_by: r.owner === null ? "operator" : r.owner.type === "org" ? `org:${r.owner.id}` : "you",
    route: { strategy: r.definition.strategy },
  };
}
