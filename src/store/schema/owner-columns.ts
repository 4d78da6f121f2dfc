// Every owner-scoped table carries two nullable owner columns, exactly one of them set. Two
// real foreign keys (rather than one polymorphic id) let Postgres cascade deletes itself.
import { sql } from "drizzle-orm";
import { check, text, type PgColumn } from "drizzle-orm/pg-core";
import { organizations } from "./organizations.ts";
import { users } from "./users.ts";

/** owner_user_id / owner_org_id, both ON DELETE CASCADE: nothing owned outlives its owner. */
export const ownerColumns = () => ({
  ownerUserId: text("owner_user_id").references(() => users.id, { onDelete: "cascade" }),
  ownerOrgId: text("owner_org_id").references(() => organizations.id, { onDelete: "cascade" }),
});

/** CHECK that exactly one of the two owner columns is set. */
export const exactlyOneOwner = (table: string, t: { ownerUserId: PgColumn; ownerOrgId: PgColumn }) =>
  check(`${table}_exactly_one_owner`, sql`num_nonnulls(${t.ownerUserId}, ${t.ownerOrgId}) = 1`);

/** CHECK that at most one owner column is set: both null means the operator owns the row. */
export const atMostOneOwner = (table: string, t: { ownerUserId: PgColumn; ownerOrgId: PgColumn }) =>
  check(`${table}_at_most_one_owner`, sql`num_nonnulls(${t.ownerUserId}, ${t.ownerOrgId}) <= 1`);
