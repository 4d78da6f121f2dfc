// Owner-scoped tables have owner_user_id / owner_org_id; these map an Owner onto them.
import { eq, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Owner } from "../domain/caller.ts";

interface OwnerColumns {
  ownerUserId: PgColumn;
  ownerOrgId: PgColumn;
}

/** Values for an insert: exactly one of the two columns set. */
export const ownerValues = (owner: Owner) =>
  owner.type === "user" ? { ownerUserId: owner.id, ownerOrgId: null } : { ownerUserId: null, ownerOrgId: owner.id };

/** `WHERE` condition: rows of this owner. */
export const ownedBy = (table: OwnerColumns, owner: Owner): SQL =>
  owner.type === "user" ? eq(table.ownerUserId, owner.id) : eq(table.ownerOrgId, owner.id);

/** The Owner a row belongs to (the one-owner CHECK guarantees exactly one is set). */
export function rowOwner(row: { ownerUserId: string | null; ownerOrgId: string | null }): Owner {
  if (row.ownerUserId !== null) return { type: "user", id: row.ownerUserId };
  if (row.ownerOrgId !== null) return { type: "org", id: row.ownerOrgId };
  throw new Error("row without an owner");
}
