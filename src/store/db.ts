// The one database type the core sees, whichever driver an adapter picked, and the one helper
// that makes several writes atomic on all of them.
import type { BatchItem } from "drizzle-orm/batch";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type * as schema from "./schema/index.ts";

/**
 * A drizzle Postgres database with our schema: neon-http on the edge, PGlite or node-postgres on
 * Node. All three extend PgDatabase; only the query-result type differs, so code written
 * against this type runs on each (results of `execute` are driver-shaped: use the builders).
 */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

/** A query built on a `Db`, not yet run: what `atomically` executes. */
export type Write = BatchItem<"pg">;

interface Batching {
  batch(items: readonly [Write, ...Write[]]): Promise<unknown[]>;
}

const canBatch = (db: Db): db is Db & Batching => typeof (db as Partial<Batching>).batch === "function";

/**
 * Runs the queries `build` returns all-or-nothing. neon-http has no interactive transactions
 * (its `db.transaction` throws) but sends a batch as one request inside BEGIN…COMMIT; PGlite and
 * node-postgres have no batch but real transactions. `build` receives the handle to build on —
 * the transaction where there is one, so that every query runs on its connection — and must
 * not depend on the results of earlier queries (a batch is not interactive).
 * Resolves to each query's result, in order.
 */
export async function atomically(db: Db, build: (tx: Db) => Write[]): Promise<unknown[]> {
  if (canBatch(db)) {
    const [first, ...rest] = build(db);
    return first ? db.batch([first, ...rest]) : [];
  }
  return db.transaction(async (tx) => {
    const results: unknown[] = [];
    for (const query of build(tx)) results.push(await query);
    return results;
  });
}
