import { sql } from "drizzle-orm";
import { pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { exactlyOneOwner, ownerColumns } from "./owner-columns.ts";

/** A user's or organization's own key for a built-in provider (bring your own key). */
export const byokKeys = pgTable(
  "byok_keys",
  {
    id: text("id").primaryKey(),
    ...ownerColumns(),
    provider: text("provider").notNull(),
    /** Secret-box ciphertext (src/credentials); never returned by list queries. */
    keyEnc: text("key_enc").notNull(),
    keyHint: text("key_hint").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    exactlyOneOwner("byok_keys", t),
    uniqueIndex("byok_keys_user_provider_uq").on(t.ownerUserId, t.provider).where(sql`${t.ownerUserId} is not null`),
    uniqueIndex("byok_keys_org_provider_uq").on(t.ownerOrgId, t.provider).where(sql`${t.ownerOrgId} is not null`),
  ],
);
