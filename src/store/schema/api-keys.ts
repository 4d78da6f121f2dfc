import { sql } from "drizzle-orm";
import { check, index, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { exactlyOneOwner, ownerColumns } from "./owner-columns.ts";

export const apiKeys = pgTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    /** SHA-256 of the whole key, lowercase hex. The key itself is never stored. */
    keyHash: text("key_hash").notNull().unique(),
    /** The key's first characters, so people can tell their keys apart. */
    prefix: text("prefix").notNull(),
    ...ownerColumns(),
    name: text("name"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    rpmLimit: integer("rpm_limit"),
    tpmLimit: integer("tpm_limit"),
  },
  (t) => [
    exactlyOneOwner("api_keys", t),
    check("api_keys_limits_non_negative", sql`coalesce(${t.rpmLimit}, 0) >= 0 and coalesce(${t.tpmLimit}, 0) >= 0`),
    index("api_keys_owner_user_idx").on(t.ownerUserId),
    index("api_keys_owner_org_idx").on(t.ownerOrgId),
  ],
);
