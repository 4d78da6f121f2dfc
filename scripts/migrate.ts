// `npm run db:migrate`: applies drizzle/ to the database DATABASE_URL names.
//   postgres://…         node-postgres; pending migrations run in one transaction
//   *.neon.tech, or any URL while NEON_FETCH_ENDPOINT is set: Neon over HTTP, statement by statement
//   unset                the embedded PGlite in .data/pglite (what `npm start` uses)
import { neon, neonConfig } from "@neondatabase/serverless";
import { readMigrationFiles } from "drizzle-orm/migrator";
import pg from "pg";
import { DEFAULT_DATA_DIR, MIGRATIONS_FOLDER, dbKind, migrateNeon, migratePglite, migratePostgres, openPglite } from "../adapters/node/storage.ts";

// drizzle's bookkeeping: one row per applied migration.
const COUNT_APPLIED = `select count(*)::int as n from drizzle.__drizzle_migrations`;
const UNDEFINED_TABLE = "42P01";
const UNDEFINED_SCHEMA = "3F000";

/** Applied migrations so far; 0 on a database never migrated. */
async function applied(query: () => Promise<unknown>): Promise<number> {
  try {
    const n = await query();
    return typeof n === "number" ? n : Number(n);
  } catch (err) {
    const code = err !== null && typeof err === "object" && "code" in err ? err.code : undefined;
    if (code === UNDEFINED_TABLE || code === UNDEFINED_SCHEMA) return 0;
    throw err;
  }
}

const url = process.env.DATABASE_URL || undefined;
const endpoint = process.env.NEON_FETCH_ENDPOINT || undefined;
const kind = dbKind({ DATABASE_URL: url, NEON_FETCH_ENDPOINT: endpoint });
// Never print the URL itself: it carries the password.
const where = url ? new URL(url).host : DEFAULT_DATA_DIR;
let before: number;
let after: number;

if (kind === "neon" && url) {
  if (endpoint) neonConfig.fetchEndpoint = endpoint;
  const sql = neon(url);
  const count = () => applied(async () => (await sql.query(COUNT_APPLIED))[0]?.n);
  before = await count();
  await migrateNeon(url);
  after = await count();
} else if (kind === "postgres" && url) {
  const pool = new pg.Pool({ connectionString: url });
  const count = () => applied(async () => (await pool.query<{ n: number }>(COUNT_APPLIED)).rows[0]?.n);
  try {
    before = await count();
    await migratePostgres(pool);
    after = await count();
  } finally {
    await pool.end();
  }
} else {
  const client = await openPglite(DEFAULT_DATA_DIR);
  const count = () => applied(async () => (await client.query<{ n: number }>(COUNT_APPLIED)).rows[0]?.n);
  try {
    before = await count();
    await migratePglite(client);
    after = await count();
  } finally {
    await client.close();
  }
}
const total = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER }).length;
console.log(`${kind} database at ${where}: applied ${after - before} migration(s); ${after} of ${total} in drizzle/ now applied`);
