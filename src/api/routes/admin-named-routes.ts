// Operator named routes: /admin/routes and /admin/routes/{name}, where a name may be the model id
// an alias stands for (its slash percent-encoded in the path: /admin/routes/openai%2Fgpt-4o-mini).
// Routes declared in GATEWAY_ROUTES are listed but read-only; one saved here of the same name
// overrides it. /admin/route-health shows every route with failover, whoever owns it.
import type { Container } from "../../container/container.ts";
import { everyRoute, findOperatorRoute, operatorRoutes, type StoredRoute } from "../../routing/route-store.ts";
import { operator } from "../auth.ts";
import { route } from "../route.ts";
import { empty } from "../schemas/common.ts";
import { adminCreateRouteBody, patchRouteBody, routeList, routeView } from "../schemas/routes.ts";
import { readOnly, routeNotFound } from "./named-route-rules.ts";
import { createNamedRoute, deleteNamedRoute, patchNamedRoute } from "./named-route-writes.ts";
import { oneRouteView, routeViews } from "./named-route-view.ts";

const tag = "operator";

/** The operator's saved route `name` (403 for a config one: it cannot be changed here, 404 for none). */
async function savedOperatorRoute(c: Container, name: string): Promise<StoredRoute> {
  const found = await findOperatorRoute(c.db, c.configRoutes, name);
  if (found === undefined) throw routeNotFound(name)();
  if (found.source === "config") throw readOnly(found);
  return found;
}

export const adminListRoutesRoute = route({
  id: "adminListRoutes",
  method: "GET",
  path: "/admin/routes",
  summary: "Lists the operator's named routes and aliases, those of GATEWAY_ROUTES included.",
  tag,
  auth: operator,
  answer: { status: 200, schema: routeList },
  errors: [],
  async handler({ c }) {
    return { object: "list" as const, data: await routeViews(c, await operatorRoutes(c.db, c.configRoutes)) };
  },
});

export const adminCreateRouteRoute = route({
  id: "adminCreateRoute",
  method: "POST",
  path: "/admin/routes",
  summary: "Saves an operator route: a slug (route/<name>) or a model id, which plain clients then get routed.",
  tag,
  auth: operator,
  body: adminCreateRouteBody,
  answer: { status: 201, schema: routeView },
  errors: [400, 409],
  async handler({ c, body: readBody }) {
    const { name, ...fields } = await readBody();
    return createNamedRoute(c, null, name, fields);
  },
});

export const adminGetRouteRoute = route({
  id: "adminGetRoute",
  method: "GET",
  path: "/admin/routes/{name}",
  summary: "Reads an operator route, with its targets' health.",
  tag,
  auth: operator,
  answer: { status: 200, schema: routeView },
  errors: [],
  async handler({ c, params }) {
    const name = params.name ?? "";
    const found = await findOperatorRoute(c.db, c.configRoutes, name);
    if (found === undefined) throw routeNotFound(name)();
    return oneRouteView(c, found);
  },
});

export const adminUpdateRouteRoute = route({
  id: "adminUpdateRoute",
  method: "PATCH",
  path: "/admin/routes/{name}",
  summary: "Changes an operator route saved here; null removes retry, sticky or failover.",
  tag,
  auth: operator,
  body: patchRouteBody,
  answer: { status: 200, schema: routeView },
  errors: [400, 403],
  async handler({ c, params, body: readBody }) {
    return patchNamedRoute(c, await savedOperatorRoute(c, params.name ?? ""), await readBody());
  },
});

export const adminDeleteRouteRoute = route({
  id: "adminDeleteRoute",
  method: "DELETE",
  path: "/admin/routes/{name}",
  summary: "Removes an operator route saved here (a GATEWAY_ROUTES one of the same name applies again).",
  tag,
  auth: operator,
  answer: { status: 204, schema: empty },
  errors: [403],
  async handler({ c, params }) {
    return deleteNamedRoute(c, await savedOperatorRoute(c, params.name ?? ""));
  },
});

export const adminRouteHealthRoute = route({
  id: "adminRouteHealth",
  method: "GET",
  path: "/admin/route-health",
  summary: "Every route with failover, of every owner, with each target's recent error rate, state and cooldown.",
  tag,
  auth: operator,
  answer: { status: 200, schema: routeList },
  errors: [],
  async handler({ c }) {
    const routes = (await everyRoute(c.db, c.configRoutes)).filter((r) => r.definition.failover !== undefined);
    return { object: "list" as const, data: await routeViews(c, routes) };
  },
});
