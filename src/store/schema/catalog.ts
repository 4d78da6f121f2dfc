import { sql } from "drizzle-orm";
import { bigint, boolean, check, integer, pgTable, text } from "drizzle-orm/pg-core";

/**
 * The operator's model catalog. Prices are integers in MICRODOLLARS PER 1,000,000 TOKENS
 * (i.e. dollars per token: $0.15 per 1M input tokens is stored as 150000). Per million keeps
 * cheap models integral; divide by 1e6 for microdollars per token.
 */
export const catalogModels = pgTable(
  "catalog_models",
  {
    /** The public id, `<provider>/<model>`, e.g. "openai/gpt-4o-mini". */
    id: text("id").primaryKey(),
    provider: text("provider").notNull(),
    /** The id the upstream knows the model by. */
    upstreamModel: text("upstream_model").notNull(),
    contextLength: integer("context_length"),
    inputPrice: bigint("input_price", { mode: "number" }),
    outputPrice: bigint("output_price", { mode: "number" }),
    free: boolean("free").notNull().default(false),
    enabled: boolean("enabled").notNull().default(true),
  },
  (t) => [
    check("catalog_models_prices_non_negative", sql`coalesce(${t.inputPrice}, 0) >= 0 and coalesce(${t.outputPrice}, 0) >= 0`),
    check("catalog_models_context_positive", sql`coalesce(${t.contextLength}, 1) > 0`),
  ],
);
