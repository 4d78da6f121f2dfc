import { sql } from "drizzle-orm";
import { bigint, boolean, check, index, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { exactlyOneOwner, ownerColumns } from "./owner-columns.ts";

/**
 * One row per served request, keyed by its request id so that accounting is idempotent.
 *
 * Owner FKs cascade (from ownerColumns): deleting a user or organization is the operator's
 * "erase this account", and the ledger is that account's history — usage, models, timings.
 * RESTRICT would make accounts undeletable once used; SET NULL would break the one-owner check
 * and leave rows nobody can be billed for or asked about. Balances live on the owner rows, so
 * no surviving total depends on these rows.
 */
export const usageLedger = pgTable(
  "usage_ledger",
  {
    requestId: text("request_id").primaryKey(),
    ...ownerColumns(),
    /** No FK: keys may be deleted while their history stays. */
    apiKeyId: text("api_key_id"),
    /** The model id the client asked for, e.g. "openai/gpt-4o-mini". */
    model: text("model").notNull(),
    /** The concrete model that served it (differs from `model` for a route, an alias or auto/org). */
    resolvedModel: text("resolved_model"),
    /** The provider that served it and the id it knows the model by. */
    provider: text("provider").notNull(),
    upstreamModel: text("upstream_model").notNull(),
    /** Upstream calls the request made, every retry and fallback included. */
    attempts: integer("attempts").notNull().default(1),
    /** Served with the owner's own key: the operator's credit was not spent. */
    byok: boolean("byok").notNull().default(false),
    promptTokens: integer("prompt_tokens").notNull().default(0),
    completionTokens: integer("completion_tokens").notNull().default(0),
    /** Token counts estimated by the gateway because the upstream reported none. */
    estimated: boolean("estimated").notNull().default(false),
    costMicrodollars: bigint("cost_microdollars", { mode: "number" }).notNull().default(0),
    /** The HTTP status the client received. */
    status: integer("status").notNull(),
    latencyMs: integer("latency_ms").notNull(),
    ttfbMs: integer("ttfb_ms"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    exactlyOneOwner("usage_ledger", t),
    check(
      "usage_ledger_non_negative",
      sql`${t.promptTokens} >= 0 and ${t.completionTokens} >= 0 and ${t.costMicrodollars} >= 0 and ${t.latencyMs} >= 0 and coalesce(${t.ttfbMs}, 0) >= 0`,
    ),
    check("usage_ledger_attempts_positive", sql`${t.attempts} >= 1`),
    index("usage_ledger_user_created_idx").on(t.ownerUserId, t.createdAt),
    index("usage_ledger_org_created_idx").on(t.ownerOrgId, t.createdAt),
  ],
);
