// Migrated databases for the repository suites, one opener per driver the core runs on. The
// PostgreSQL ones reuse a fixed database per suite, wiped at start, so a crashed run leaves
// nothing behind that the next run trips over.
import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzleNodePg } from "drizzle-orm/node-postgres";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import pg from "pg";
import { migratePglite, migratePostgres } from "../../../adapters/node/storage.ts";
import type { Db } from "../../../src/store/db.ts";
import { createNeonDb } from "../../../src/store/neon.ts";
import * as schema from "../../../src/store/schema/index.ts";
import { sqlState } from "../../../src/store/pg-error.ts";
import { pointNeonClientAt, startNeonHttp } from "../../support/neon/index.ts";
import { POSTGRES_URL } from "../../support/services.ts";

export interface OpenDb {
  db: Db;
  close(): Promise<void>;
}

const DUPLICATE_DATABASE = "42P04";

export async function openPglite(): Promise<OpenDb> {
  const client = await PGlite.create();
  await migratePglite(client);
  return { db: drizzlePglite({ client, schema }), close: () => client.close() };
}

/**
 * Creates database `name` when missing, empties it (schemas `public` and `drizzle`, where the
 * migrator keeps its journal) and migrates it. Resolves to its URL.
 */
async function freshDatabase(name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unsafe database name: ${name}`);
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    const existing = await admin.query("select 1 from pg_database where datname = $1", [name]);
    if (existing.rowCount === 0) {
      await admin.query(`create database ${name}`).catch((err: unknown) => {
        if (sqlState(err) !== DUPLICATE_DATABASE) throw err; // created meanwhile by another run
      });
    }
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.href, max: 1 });
  try {
    await pool.query("drop schema if exists drizzle cascade; drop schema if exists public cascade; create schema public");
    await migratePostgres(pool);
  } finally {
    await pool.end();
  }
  return url.href;
}

/** node-postgres on a fresh database of the machine's PostgreSQL. */
export async function openPostgres(name: string): Promise<OpenDb> {
  const pool = new pg.Pool({ connectionString: await freshDatabase(name) });
  return { db: drizzleNodePg({ client: pool, schema }), close: () => pool.end() };
}

/** neon-http (the edge driver) through the Neon stand-in, in front of a fresh PostgreSQL database. */
export async function openNeonOverPostgres(name: string): Promise<OpenDb> {
  const standIn = await startNeonHttp({ backend: { kind: "postgres", url: await freshDatabase(name) } });
  pointNeonClientAt(standIn);
  return { db: createNeonDb(standIn.connectionString), close: () => standIn.close() };
}
