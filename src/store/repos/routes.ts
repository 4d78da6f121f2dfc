// Named routes. A row's owner is a user, an organization, or nobody (the operator). Definitions
// travel as plain JSON here: routing/route-store.ts checks them on the way in and out.
import { and, asc, eq, or, sql, type SQL } from "drizzle-orm";
import { sameOwner, type Owner } from "../../domain/owner.ts";
import type { Db } from "../db.ts";
import { newId } from "../ids.ts";
import { ownedBy, ownerValues, rowOwner } from "../owner.ts";
import { namedRoutes } from "../schema/index.ts";

/** A route row as stored; `owner` null = the operator's. */
export interface RouteRow {
  id: string;
  owner: Owner | null;
  name: string;
  definition: unknown;
  createdAt: Date;
  updatedAt: Date;
}

const t = namedRoutes;
const cols = { id: t.id, ownerUserId: t.ownerUserId, ownerOrgId: t.ownerOrgId, name: t.name, definition: t.definition, createdAt: t.createdAt, updatedAt: t.updatedAt };
type Selected = { ownerUserId: string | null; ownerOrgId: string | null } & Omit<RouteRow, "owner">;

function toRow({ ownerUserId, ownerOrgId, ...rest }: Selected): RouteRow {
  const owner = ownerUserId === null && ownerOrgId === null ? null : rowOwner({ ownerUserId, ownerOrgId });
  return { ...rest, owner };
}

const operatorOwned: SQL = sql`${t.ownerUserId} is null and ${t.ownerOrgId} is null`;
const ownedByOrOperator = (owner: Owner | null): SQL => (owner === null ? operatorOwned : ownedBy(t, owner));
const ownerOrNone = (owner: Owner | null) => (owner === null ? { ownerUserId: null, ownerOrgId: null } : ownerValues(owner));

/** Orders rows by their owner's position in `owners` (the caller's precedence), keeping name order within one. */
function byOwnerOrder(owners: readonly Owner[], rows: RouteRow[]): RouteRow[] {
  const rank = (o: Owner | null) => (o === null ? owners.length : owners.findIndex((x) => sameOwner(x, o)));
  return rows.sort((a, b) => rank(a.owner) - rank(b.owner));
}

/** Throws a unique violation (23505) when the owner already has a route of this name. */
export async function insertRouteRow(db: Db, input: { owner: Owner | null; name: string; definition: unknown }): Promise<RouteRow> {
  const [row] = await db
    .insert(t)
    .values({ id: newId("rte"), ...ownerOrNone(input.owner), name: input.name, definition: input.definition })
    .returning(cols);
  if (!row) throw new Error("insert returned no row");
  return toRow(row);
}

/** Every route of these owners: in owner order, then by name. */
export async function listRouteRows(db: Db, owners: readonly Owner[]): Promise<RouteRow[]> {
  const anyOf = or(...owners.map((o) => ownedBy(t, o)));
  if (anyOf === undefined) return [];
  const rows = await db.select(cols).from(t).where(anyOf).orderBy(asc(t.name));
  return byOwnerOrder(owners, rows.map(toRow));
}

/** The operator's routes, by name. */
export async function listOperatorRouteRows(db: Db): Promise<RouteRow[]> {
  const rows = await db.select(cols).from(t).where(operatorOwned).orderBy(asc(t.name));
  return rows.map(toRow);
}

/** Every route of every owner (the operator's health view). */
export async function listAllRouteRows(db: Db): Promise<RouteRow[]> {
  const rows = await db.select(cols).from(t).orderBy(asc(t.name), asc(t.id));
  return rows.map(toRow);
}

/** The first route named `name` among `owners`, in the order given. */
export async function findRouteRow(db: Db, owners: readonly Owner[], name: string): Promise<RouteRow | undefined> {
  const anyOf = or(...owners.map((o) => ownedBy(t, o)));
  if (anyOf === undefined) return undefined;
  const rows = await db.select(cols).from(t).where(and(eq(t.name, name), anyOf));
  return byOwnerOrder(owners, rows.map(toRow))[0];
}

export async function getRouteRow(db: Db, owner: Owner | null, name: string): Promise<RouteRow | undefined> {
  const [row] = await db.select(cols).from(t).where(and(eq(t.name, name), ownedByOrOperator(owner)));
  return row && toRow(row);
}

/** Replaces a route's definition; undefined when the owner has no route of this name. */
export async function updateRouteRow(db: Db, owner: Owner | null, name: string, definition: unknown): Promise<RouteRow | undefined> {
  const [row] = await db
    .update(t)
    .set({ definition, updatedAt: new Date() })
    .where(and(eq(t.name, name), ownedByOrOperator(owner)))
    .returning(cols);
  return row && toRow(row);
}

export async function deleteRouteRow(db: Db, owner: Owner | null, name: string): Promise<boolean> {
  const rows = await db.delete(t).where(and(eq(t.name, name), ownedByOrOperator(owner))).returning({ id: t.id });
  return rows.length > 0;
}
