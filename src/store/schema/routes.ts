import { sql } from "drizzle-orm";
import { jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { atMostOneOwner, ownerColumns } from "./owner-columns.ts";

/**
 * Named routes (virtual models) of a user, an organization, or (no owner) the operator. The
 * definition is checked by routing/route-definition.ts when written and again when read back.
 */
export const namedRoutes = pgTable(
  "routes",
  {
    id: text("id").primaryKey(),
    ...ownerColumns(),
    /** A slug addressed as `route/<name>`; an operator's may instead be a model id it stands for. */
    name: text("name").notNull(),
    definition: jsonb("definition").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    atMostOneOwner("routes", t),
    uniqueIndex("routes_user_name_uq").on(t.ownerUserId, t.name).where(sql`${t.ownerUserId} is not null`),
    uniqueIndex("routes_org_name_uq").on(t.ownerOrgId, t.name).where(sql`${t.ownerOrgId} is not null`),
    uniqueIndex("routes_operator_name_uq").on(t.name).where(sql`${t.ownerUserId} is null and ${t.ownerOrgId} is null`),
  ],
);
