// Self-service named routes: /v1/routes and /v1/routes/{name}. A path's name means the route
// `route/<name>` as the caller's requests find it (acting organization, else the user and their
// organizations, then the operator); changing it needs write access on its owner, and the
// operator's routes are read-only here.
import { actingScope, authorize, ownersInScope, readingScope, requestedOwner, type Access } from "../../access/owners.ts";
import type { Container } from "../../container/container.ts";
import type { SignedIn } from "../../domain/caller.ts";
import { GatewayError } from "../../http/errors.ts";
import { ROUTE_SLUG } from "../../routing/route-name.ts";
import { findOperatorRoute, findOwnedRoute, operatorRoutes, ownedRoutes, type StoredRoute } from "../../routing/route-store.ts";
import { signedInCaller } from "../auth.ts";
import { route } from "../route.ts";
import { empty } from "../schemas/common.ts";
import { createRouteBody, patchRouteBody, routeList, routeView } from "../schemas/routes.ts";
import { readOnly, routeNotFound } from "./named-route-rules.ts";
import { createNamedRoute, deleteNamedRoute, patchNamedRoute } from "./named-route-writes.ts";
import { oneRouteView, routeViews } from "./named-route-view.ts";

const tag = "routes";

/** The route `route/<name>` as the caller's requests find it, once they may `access` it (else 404, or 403 for the operator's). */
async function routeFor(c: Container, caller: SignedIn, name: string, access: Access): Promise<StoredRoute> {
  const notFound = routeNotFound(name);
  if (!ROUTE_SLUG.test(name)) throw notFound();
  const own = await findOwnedRoute(c.db, await ownersInScope(c.orgsOf, actingScope(caller)), name);
  if (own !== undefined && own.owner !== null) {
    await authorize(c.identities.role, caller, own.owner, access, notFound);
    return own;
  }
  const operator = await findOperatorRoute(c.db, c.configRoutes, name);
  if (operator === undefined) throw notFound();
  if (access === "write") throw readOnly(operator);
  return operator;
}

export const listRoutesRoute = route({
  id: "listRoutes",
  method: "GET",
  path: "/v1/routes",
  summary: "Lists the named routes of the caller and of their organizations, and the operator's.",
  tag,
  auth: signedInCaller,
  answer: { status: 200, schema: routeList },
  errors: [],
  async handler({ c, caller }) {
    const own = await ownedRoutes(c.db, await ownersInScope(c.orgsOf, readingScope(caller)));
    const operator = await operatorRoutes(c.db, c.configRoutes);
    return { object: "list" as const, data: await routeViews(c, [...own, ...operator]) };
  },
});

export const createRouteRoute = route({
  id: "createRoute",
  method: "POST",
  path: "/v1/routes",
  summary: "Saves a named route, called as route/<name>; a cycle among routes is refused.",
  tag,
  auth: signedInCaller,
  body: createRouteBody,
  answer: { status: 201, schema: routeView },
  errors: [400, 403, 409],
  async handler({ c, caller, body: readBody }) {
    const { owner: ref, name, ...fields } = await readBody();
    const owner = requestedOwner(caller, ref);
    await authorize(c.identities.role, caller, owner, "write", () => new GatewayError(403, "not_org_member", `You are not a member of organization ${owner.id}.`, "owner"));
    return createNamedRoute(c, owner, name, fields);
  },
});

export const getRouteRoute = route({
  id: "getRoute",
  method: "GET",
  path: "/v1/routes/{name}",
  summary: "Reads the route route/{name} as the caller's requests find it, with its targets' health.",
  tag,
  auth: signedInCaller,
  answer: { status: 200, schema: routeView },
  errors: [404],
  async handler({ c, caller, params }) {
    return oneRouteView(c, await routeFor(c, caller, params.name ?? "", "read"));
  },
});

export const updateRouteRoute = route({
  id: "updateRoute",
  method: "PATCH",
  path: "/v1/routes/{name}",
  summary: "Changes a route's definition; null removes retry, sticky or failover. The name and owner never change.",
  tag,
  auth: signedInCaller,
  body: patchRouteBody,
  answer: { status: 200, schema: routeView },
  errors: [400, 403, 404],
  async handler({ c, caller, params, body: readBody }) {
    return patchNamedRoute(c, await routeFor(c, caller, params.name ?? "", "write"), await readBody());
  },
});

export const deleteRouteRoute = route({
  id: "deleteRoute",
  method: "DELETE",
  path: "/v1/routes/{name}",
  summary: "Removes a route of the caller's or of an organization they administer.",
  tag,
  auth: signedInCaller,
  answer: { status: 204, schema: empty },
  errors: [403, 404],
  async handler({ c, caller, params }) {
    return deleteNamedRoute(c, await routeFor(c, caller, params.name ?? "", "write"));
  },
});
