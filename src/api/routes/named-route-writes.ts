// Saving, changing and removing a named route, the same for a user's or organization's route and
// for the operator's (owner null): checked whole, refused if it would loop or nest too deep, one
// name per owner, and every route cache told (routesChanged).
import type { Container } from "../../container/container.ts";
import type { Owner } from "../../domain/owner.ts";
import { changeRoute, removeRoute, saveRoute, type StoredRoute } from "../../routing/route-store.ts";
import { checkDefinition, checkGraph, patchedDefinition, routeNotFound, uniqueName, type DefinitionPatch } from "./named-route-rules.ts";
import { oneRouteView } from "./named-route-view.ts";

export async function createNamedRoute(c: Container, owner: Owner | null, name: string, fields: unknown) {
  const definition = checkDefinition(fields);
  await checkGraph(c, owner, name, definition);
  const saved = await uniqueName(name, () => saveRoute(c.db, owner, name, definition));
  c.events.emit("routesChanged", owner);
  return oneRouteView(c, saved);
}

export async function patchNamedRoute(c: Container, found: StoredRoute, patch: DefinitionPatch) {
  const definition = patchedDefinition(found.definition, patch);
  await checkGraph(c, found.owner, found.name, definition);
  const changed = await changeRoute(c.db, found.owner, found.name, definition);
  if (changed === undefined) throw routeNotFound(found.name)();
  c.events.emit("routesChanged", found.owner);
  return oneRouteView(c, changed);
}

export async function deleteNamedRoute(c: Container, found: StoredRoute): Promise<undefined> {
  if (!(await removeRoute(c.db, found.owner, found.name))) throw routeNotFound(found.name)();
  c.events.emit("routesChanged", found.owner);
  return undefined;
}
