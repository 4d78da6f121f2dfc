import { sql } from "drizzle-orm";
import { bigint, check, index, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { users } from "./users.ts";

export const PLANS = ["free", "team", "enterprise"] as const;
export const ROLES = ["owner", "admin", "member"] as const;

export const organizations = pgTable(
  "organizations",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    plan: text("plan", { enum: PLANS }).notNull().default("free"),
    /** OrgSettings (src/store/repos/orgs.ts), validated with zod whenever it is read back. */
    settings: jsonb("settings").notNull().default({}),
    creditMicrodollars: bigint("credit_microdollars", { mode: "number" }).notNull().default(0),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check("organizations_plan_valid", sql`${t.plan} in ('free', 'team', 'enterprise')`)],
);

export const orgMemberships = pgTable(
  "org_memberships",
  {
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: text("role", { enum: ROLES }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.userId] }),
    // "which orgs is this user in", and the cascade when a user is deleted
    index("org_memberships_user_idx").on(t.userId),
    check("org_memberships_role_valid", sql`${t.role} in ('owner', 'admin', 'member')`),
  ],
);
