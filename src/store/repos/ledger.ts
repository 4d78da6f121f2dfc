import { and, asc, count, desc, eq, gte, sql, sum } from "drizzle-orm";
import type { Owner } from "../../domain/caller.ts";
import type { Db } from "../db.ts";
import { ownedBy, ownerValues } from "../owner.ts";
import { usageLedger } from "../schema/index.ts";
import { balanceOf } from "./credit.ts";

/** What the gateway records about one served request. */
export interface UsageRow {
  requestId: string;
  /** Who pays: the balance debited by `costMicrodollars`. */
  owner: Owner;
  apiKeyId?: string | null | undefined;
  /** The model id the client named (a route, an alias, auto/org or the model itself). */
  model: string;
  /** The concrete model that served (null only in rows older than this column). */
  resolvedModel?: string | null | undefined;
  provider: string;
  upstreamModel: string;
  /** Upstream calls the request made (default 1). */
  attempts?: number | undefined;
  byok: boolean;
  promptTokens: number;
  completionTokens: number;
  estimated: boolean;
  costMicrodollars: number;
  status: number;
  latencyMs: number;
  ttfbMs?: number | null | undefined;
  /** Defaults to the database's now(). */
  createdAt?: Date | undefined;
}

/**
 * Records the request and debits its owner in ONE statement:
 *   WITH ins AS (INSERT … ON CONFLICT (request_id) DO NOTHING RETURNING cost)
 *   UPDATE <owner table> SET credit = credit - ins.cost FROM ins WHERE id = <owner> RETURNING …
 * A repeated request id inserts nothing, so the UPDATE joins no row and debits nothing — retries
 * and concurrent duplicates are harmless (the second INSERT waits for the first to commit, then
 * conflicts). One statement is atomic on every driver and one round trip on neon-http.
 * Resolves true when this call recorded the row. A missing owner fails its foreign key (23503).
 */
export async function recordUsage(db: Db, row: UsageRow): Promise<boolean> {
  const ins = db.$with("ins").as(
    db
      .insert(usageLedger)
      .values({
        requestId: row.requestId,
        ...ownerValues(row.owner),
        apiKeyId: row.apiKeyId ?? null,
        model: row.model,
        resolvedModel: row.resolvedModel ?? null,
        provider: row.provider,
        upstreamModel: row.upstreamModel,
        attempts: row.attempts ?? 1,
        byok: row.byok,
        promptTokens: row.promptTokens,
        completionTokens: row.completionTokens,
        estimated: row.estimated,
        costMicrodollars: row.costMicrodollars,
        status: row.status,
        latencyMs: row.latencyMs,
        ttfbMs: row.ttfbMs ?? null,
        ...(row.createdAt ? { createdAt: row.createdAt } : {}),
      })
      .onConflictDoNothing({ target: usageLedger.requestId })
      .returning({ cost: usageLedger.costMicrodollars }),
  );
  const b = balanceOf(row.owner);
  const debited = await db
    .with(ins)
    .update(b.table)
    .set({ creditMicrodollars: sql`${b.credit} - ${ins.cost}` })
    .from(ins)
    .where(eq(b.id, row.owner.id))
    .returning({ id: b.id });
  return debited.length > 0;
}

export interface UsageTotals {
  requests: number;
  promptTokens: number;
  completionTokens: number;
  costMicrodollars: number;
}

export interface UsageSummary {
  byModel: (UsageTotals & { model: string })[];
  /** Calendar days in UTC, "YYYY-MM-DD", newest first. */
  byDay: (UsageTotals & { day: string })[];
}

/** The owner's usage since `since` (default: all of it), by model and by UTC day. */
export async function usageSummary(db: Db, owner: Owner, opts: { since?: Date | undefined } = {}): Promise<UsageSummary> {
  const where = opts.since ? and(ownedBy(usageLedger, owner), gte(usageLedger.createdAt, opts.since)) : ownedBy(usageLedger, owner);
  // sums of int/bigint are numeric/bigint in Postgres, i.e. strings from the drivers
  const totals = {
    requests: count().mapWith(Number),
    promptTokens: sql<number>`coalesce(${sum(usageLedger.promptTokens)}, 0)`.mapWith(Number),
    completionTokens: sql<number>`coalesce(${sum(usageLedger.completionTokens)}, 0)`.mapWith(Number),
    costMicrodollars: sql<number>`coalesce(${sum(usageLedger.costMicrodollars)}, 0)`.mapWith(Number),
  };
  const day = sql<string>`to_char(${usageLedger.createdAt} at time zone 'UTC', 'YYYY-MM-DD')`;
  const [byModel, byDay] = await Promise.all([
    db.select({ model: usageLedger.model, ...totals }).from(usageLedger).where(where).groupBy(usageLedger.model).orderBy(asc(usageLedger.model)),
    db.select({ day, ...totals }).from(usageLedger).where(where).groupBy(day).orderBy(desc(day)),
  ]);
  return { byModel, byDay };
}
