// Whether the database can serve the gateway: reachable, and migrated. /readyz answers from it,
// the Node adapter's start-up banner reports it, and a request that meets an unmigrated
// database mid-flight is answered with the same error (src/gateway.ts).
import { getTableColumns, is, sql } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";
import { GatewayError } from "../http/errors.ts";
import { isNotMigrated } from "./pg-error.ts";
import type { Db } from "./db.ts";
import * as schema from "./schema/index.ts";

const exported: readonly unknown[] = Object.values(schema);
const TABLES: PgTable[] = exported.filter((v): v is PgTable => is(v, PgTable));
const COLUMNS = TABLES.flatMap((t) => Object.values(getTableColumns(t)));

export type StorageState = "ready" | "not_migrated" | "unreachable";

export const notMigratedError = () =>
  new GatewayError(
    503,
    "storage_not_migrated",
    "The database has not been migrated: run `npm run db:migrate` with this DATABASE_URL (on Node, GATEWAY_MIGRATE_ON_START=true does it at start-up).",
  );

/**
 * Reads no rows of every column of every table the schema declares, in one statement: cheap
 * enough for a health probe, and it fails with "undefined table" or "undefined column" while a
 * migration is missing.
 */
export async function storageState(db: Db): Promise<{ state: StorageState; error?: unknown }> {
  try {
    await db.execute(sql`select ${sql.join(COLUMNS, sql`, `)} from ${sql.join([...TABLES], sql`, `)} limit 0`);
    return { state: "ready" };
  } catch (error) {
    return { state: isNotMigrated(error) ? "not_migrated" : "unreachable", error };
  }
}
