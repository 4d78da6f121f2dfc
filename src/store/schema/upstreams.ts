import { sql } from "drizzle-orm";
import { boolean, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { exactlyOneOwner, ownerColumns } from "./owner-columns.ts";

/** Custom OpenAI-compatible upstreams registered by a user or an organization. */
export const customUpstreams = pgTable(
  "custom_upstreams",
  {
    id: text("id").primaryKey(),
    ...ownerColumns(),
    /** A slug, unique per owner; models are addressed as `<provider_id>/<model>`. */
    providerId: text("provider_id").notNull(),
    displayName: text("display_name").notNull(),
    baseUrl: text("base_url").notNull(),
    /** Secret-box ciphertext (src/credentials); never returned by list queries. */
    apiKeyEnc: text("api_key_enc").notNull(),
    /** What responses show instead of the key, e.g. "…abcd". */
    apiKeyHint: text("api_key_hint").notNull(),
    /** Ciphertext of a JSON object of header name -> value. */
    extraHeadersEnc: text("extra_headers_enc"),
    /** The names of the encrypted headers, shown without their values. */
    extraHeaderNames: text("extra_header_names").array().notNull().default(sql`'{}'::text[]`),
    /** Model metadata: [{id, name?, context_length?, input_price?, output_price?}]. */
    models: jsonb("models").notNull().default([]),
    enabled: boolean("enabled").notNull().default(true),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    exactlyOneOwner("custom_upstreams", t),
    uniqueIndex("custom_upstreams_user_provider_uq").on(t.ownerUserId, t.providerId).where(sql`${t.ownerUserId} is not null`),
    uniqueIndex("custom_upstreams_org_provider_uq").on(t.ownerOrgId, t.providerId).where(sql`${t.ownerOrgId} is not null`),
  ],
);
