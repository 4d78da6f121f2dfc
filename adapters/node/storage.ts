// The Node adapter's storage, in one module that npm start, scripts/ and bench/ share: the database
// (embedded PGlite by default, created and migrated on first use; node-postgres for postgres://
// URLs; Neon's HTTP driver for Neon URLs; migrations from the SQL drizzle-kit generated into
// drizzle/) and the rate counters (Upstash when configured, else this process's memory).
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { neon } from "@neondatabase/serverless";
import { drizzle as drizzleNeon } from "drizzle-orm/neon-http";
import { migrate as migrateNeonHttp } from "drizzle-orm/neon-http/migrator";
import { drizzle as drizzleNodePg } from "drizzle-orm/node-postgres";
import { migrate as migrateNodePg } from "drizzle-orm/node-postgres/migrator";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migrateWithPglite } from "drizzle-orm/pglite/migrator";
import { Redis } from "@upstash/redis";
import pg from "pg";
import { createMemoryCounters, createNeonDb, createUpstashCounters, schema, type Config, type CounterStore, type Db } from "../../src/index.ts";

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../drizzle", import.meta.url));
export const DEFAULT_DATA_DIR = ".data/pglite";

export type DbKind = "pglite" | "postgres" | "neon";

export interface NodeDb {
  db: Db;
  kind: DbKind;
  close(): Promise<void>;
}

export interface NodeDbEnv {
  /** unset = PGlite in `dataDir`; `memory://` = in-memory PGlite; postgres:// or a Neon URL. */
  DATABASE_URL?: string | undefined;
  /** When set (a Neon stand-in, a proxy), a postgres URL is reached over Neon's HTTP protocol. */
  NEON_FETCH_ENDPOINT?: string | undefined;
  /** PGlite's directory when DATABASE_URL is unset (default `.data/pglite`). */
  dataDir?: string | undefined;
}

/** Options for the migration helpers; `migrationsSchema` holds drizzle's bookkeeping table. */
export interface MigrateOptions {
  migrationsFolder?: string;
  migrationsSchema?: string;
}

const migrationConfig = (opts: MigrateOptions) => ({
  migrationsFolder: opts.migrationsFolder ?? MIGRATIONS_FOLDER,
  ...(opts.migrationsSchema ? { migrationsSchema: opts.migrationsSchema } : {}),
});

/** Which driver a DATABASE_URL needs. */
export function dbKind(env: NodeDbEnv): DbKind {
  const url = env.DATABASE_URL;
  if (!url || url === "memory://") return "pglite";
  if (env.NEON_FETCH_ENDPOINT) return "neon";
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    throw new Error("DATABASE_URL is not a URL (expected postgres://user:password@host/db)");
  }
  return host.endsWith(".neon.tech") ? "neon" : "postgres";
}

/** Applies drizzle/ to a PGlite instance; already-applied migrations are skipped. */
export async function migratePglite(client: PGlite, opts: MigrateOptions = {}): Promise<void> {
  await migrateWithPglite(drizzlePglite({ client }), migrationConfig(opts));
}

/** Applies drizzle/ through node-postgres (one transaction); already-applied ones are skipped. */
export async function migratePostgres(pool: pg.Pool, opts: MigrateOptions = {}): Promise<void> {
  await migrateNodePg(drizzleNodePg({ client: pool }), migrationConfig(opts));
}

export async function openPglite(dataDir?: string): Promise<PGlite> {
  if (dataDir === undefined) return PGlite.create();
  await mkdir(dataDir, { recursive: true });
  return PGlite.create(dataDir);
}

/**
 * Opens the database DATABASE_URL names. PGlite is migrated here, because nobody else will;
 * PostgreSQL and Neon are migrated by the project command (`npm run db:migrate`).
 */
export async function openNodeDb(env: NodeDbEnv): Promise<NodeDb> {
  const kind = dbKind(env);
  const url = env.DATABASE_URL;
  if (kind === "neon" && url) {
    return { db: createNeonDb(url), kind, close: async () => {} };
  }
  if (kind === "postgres" && url) {
    const pool = new pg.Pool({ connectionString: url });
    return { db: drizzleNodePg({ client: pool, schema }), kind, close: () => pool.end() };
  }
  const client = await openPglite(url === "memory://" ? undefined : (env.dataDir ?? DEFAULT_DATA_DIR));
  await migratePglite(client);
  return { db: drizzlePglite({ client, schema }), kind: "pglite", close: () => client.close() };
}

/** Applies drizzle/ through Neon's HTTP protocol, statement by statement (no transaction there). */
export async function migrateNeon(url: string, opts: MigrateOptions = {}): Promise<void> {
  await migrateNeonHttp(drizzleNeon({ client: neon(url) }), migrationConfig(opts));
}

/**
 * GATEWAY_MIGRATE_ON_START: applies drizzle/ to the PostgreSQL or Neon database DATABASE_URL
 * names, as `npm run db:migrate` would. PGlite needs nothing here: openNodeDb migrates it.
 */
export async function migrateNodeDb(env: NodeDbEnv): Promise<void> {
  const kind = dbKind(env);
  const url = env.DATABASE_URL;
  if (!url || kind === "pglite") return;
  if (kind === "neon") return migrateNeon(url);
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await migratePostgres(pool);
  } finally {
    await pool.end();
  }
}

/** Where the data lives, for the start-up banner; never the password. */
export function describeNodeDb(env: NodeDbEnv): string {
  const kind = dbKind(env);
  const url = env.DATABASE_URL;
  if (kind === "pglite") return url === "memory://" ? "in-memory PGlite (emptied when the process stops)" : `embedded PGlite in ${env.dataDir ?? DEFAULT_DATA_DIR}`;
  const where = url ? new URL(url) : undefined;
  if (kind === "neon") return `Neon at ${where?.host ?? "?"}${env.NEON_FETCH_ENDPOINT ? ` (SQL over HTTP to ${env.NEON_FETCH_ENDPOINT})` : ""}`;
  return `PostgreSQL at ${where?.host ?? "?"}${where?.pathname ?? ""}`;
}

/** Rate counters: Upstash when configured (several gateway processes share it), else memory (one process). */
export function nodeCounters(config: Config): { counters: CounterStore; kind: "upstash" | "memory" } {
  if (config.UPSTASH_REDIS_REST_URL && config.UPSTASH_REDIS_REST_TOKEN) {
    const redis = new Redis({
      url: config.UPSTASH_REDIS_REST_URL,
      token: config.UPSTASH_REDIS_REST_TOKEN,
      signal: () => AbortSignal.timeout(1_000),
      // No client-side retries: an outage must be answered now (the core's breaker), not after backoff.
      retry: false,
    });
    return { counters: createUpstashCounters(redis), kind: "upstash" };
  }
  return { counters: createMemoryCounters(), kind: "memory" };
}
