// Named routes as the rest of the gateway sees them: rows of store/repos/routes.ts with their
// definitions checked on the way in and on the way out, and the operator's routes declared in
// GATEWAY_ROUTES merged under those saved through /admin/routes.
import type { Owner } from "../domain/owner.ts";
import type { Db } from "../store/db.ts";
import {
  deleteRouteRow,
  findRouteRow,
  getRouteRow,
  insertRouteRow,
  listAllRouteRows,
  listOperatorRouteRows,
  listRouteRows,
  updateRouteRow,
  type RouteRow,
} from "../store/repos/routes.ts";
import { routeDefinitionSchema, type NamedRoute, type RouteDefinition } from "./route-definition.ts";

/** A route with where it comes from: saved through the API, or declared in GATEWAY_ROUTES (read-only). */
export interface StoredRoute extends NamedRoute {
  source: "api" | "config";
  /** Null for a config route. */
  createdAt: Date | null;
  updatedAt: Date | null;
}

/** A row read back: a definition that no longer passes (hand-edited, older rules) fails loudly rather than routing oddly. */
function fromRow(row: RouteRow): StoredRoute {
  const parsed = routeDefinitionSchema.safeParse(row.definition);
  if (!parsed.success) throw new Error(`route ${row.id} has a malformed definition: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  return { id: row.id, owner: row.owner, name: row.name, definition: parsed.data, source: "api", createdAt: row.createdAt, updatedAt: row.updatedAt };
}

/** The operator's routes: those saved win over config ones of the same name. By name. */
export function mergeOperatorRoutes(saved: readonly StoredRoute[], config: readonly StoredRoute[]): StoredRoute[] {
  const names = new Set(saved.map((r) => r.name));
  return [...saved, ...config.filter((r) => !names.has(r.name))].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export async function ownedRoutes(db: Db, owners: readonly Owner[]): Promise<StoredRoute[]> {
  return (await listRouteRows(db, owners)).map(fromRow);
}

export async function operatorRoutes(db: Db, config: readonly StoredRoute[]): Promise<StoredRoute[]> {
  return mergeOperatorRoutes((await listOperatorRouteRows(db)).map(fromRow), config);
}

/** Every route: each owner's and the operator's (config ones included unless overridden). */
export async function everyRoute(db: Db, config: readonly StoredRoute[]): Promise<StoredRoute[]> {
  const rows = (await listAllRouteRows(db)).map(fromRow);
  const operator = mergeOperatorRoutes(rows.filter((r) => r.owner === null), config);
  return [...rows.filter((r) => r.owner !== null), ...operator];
}

/** The first route `name` among `owners`, in the order given. */
export async function findOwnedRoute(db: Db, owners: readonly Owner[], name: string): Promise<StoredRoute | undefined> {
  const row = await findRouteRow(db, owners, name);
  return row && fromRow(row);
}

/** The operator's route `name`: the saved one, else the config one. */
export async function findOperatorRoute(db: Db, config: readonly StoredRoute[], name: string): Promise<StoredRoute | undefined> {
  const row = await getRouteRow(db, null, name);
  return row ? fromRow(row) : config.find((r) => r.name === name);
}

/** Throws a unique violation (23505) when the owner already has a route of this name. */
export async function saveRoute(db: Db, owner: Owner | null, name: string, definition: RouteDefinition): Promise<StoredRoute> {
  return fromRow(await insertRouteRow(db, { owner, name, definition: routeDefinitionSchema.parse(definition) }));
}

export async function changeRoute(db: Db, owner: Owner | null, name: string, definition: RouteDefinition): Promise<StoredRoute | undefined> {
  const row = await updateRouteRow(db, owner, name, routeDefinitionSchema.parse(definition));
  return row && fromRow(row);
}

export const removeRoute = (db: Db, owner: Owner | null, name: string): Promise<boolean> => deleteRouteRow(db, owner, name);
