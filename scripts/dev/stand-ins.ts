// The Neon and Upstash stand-ins the edge adapters run against locally (`npm run dev:*`): the
// project's own SQL-over-HTTP and Redis-REST servers, the same ones the test suites use.
//   database  embedded PGlite in DEV_DATA_DIR (default .data/dev-pglite), or DEV_POSTGRES_URL
//             (a local PostgreSQL; the database is created if the server lacks it)
//   counters  the Redis at DEV_REDIS_URL (default redis://127.0.0.1:6379)
import type { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { migratePglite, migratePostgres, openPglite } from "../../adapters/node/storage.ts";
import { startNeonHttp, type NeonStandIn } from "../../test/support/neon/index.ts";
import { startUpstashRest } from "../../test/support/upstash-rest/index.ts";

const DEFAULT_DATA_DIR = ".data/dev-pglite";
const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

export interface DevStandIns {
  /** DATABASE_URL, NEON_FETCH_ENDPOINT and the two UPSTASH_* settings, pointing at the stand-ins. */
  env: Record<string, string>;
  /** For the banner: what each stand-in serves from. */
  database: string;
  counters: string;
  close(): Promise<void>;
}

/** A start-up failure the operator can fix, reported as one line. */
export class DevSetupError extends Error {}

/** Creates the database DEV_POSTGRES_URL names when the server lacks it, then migrates it. */
async function preparePostgres(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  try {
    await client.connect();
  } catch (err) {
    throw new DevSetupError(`DEV_POSTGRES_URL: PostgreSQL at ${target.host} is not reachable (${err instanceof Error ? err.message : String(err)})`);
  }
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (!rowCount) await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
  } finally {
    await client.end();
  }
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await migratePostgres(pool);
  } finally {
    await pool.end();
  }
}

/** The Neon stand-in, what it stores into (for the banner), and the PGlite it owns, if any. */
async function startNeon(postgresUrl: string | undefined, dataDir: string): Promise<{ server: NeonStandIn; backend: string; pglite?: PGlite }> {
  if (postgresUrl) {
    await preparePostgres(postgresUrl);
    const server = await startNeonHttp({ backend: { kind: "postgres", url: postgresUrl } });
    const where = new URL(postgresUrl);
    return { server, backend: `PostgreSQL at ${where.host}${where.pathname}` };
  }
  const pglite = await openPglite(dataDir);
  await migratePglite(pglite);
  const server = await startNeonHttp({ backend: { kind: "pglite", db: pglite } });
  return { server, backend: `embedded PGlite in ${dataDir}`, pglite };
}

export async function startDevStandIns(env: NodeJS.ProcessEnv): Promise<DevStandIns> {
  const redisUrl = env.DEV_REDIS_URL || DEFAULT_REDIS_URL;
  const upstash = await startUpstashRest({ redisUrl }).catch((err: unknown) => {
    const why = err instanceof Error ? err.message : String(err);
    throw new DevSetupError(
      `DEV_REDIS_URL: no Redis answers at ${new URL(redisUrl).host} (${why}); start one (redis-server --port 6379) or point DEV_REDIS_URL at one`,
    );
  });
  let neon;
  try {
    neon = await startNeon(env.DEV_POSTGRES_URL || undefined, env.DEV_DATA_DIR || DEFAULT_DATA_DIR);
  } catch (err) {
    await upstash.close();
    throw err;
  }
  return {
    env: {
      DATABASE_URL: neon.server.connectionString,
      NEON_FETCH_ENDPOINT: neon.server.url,
      UPSTASH_REDIS_REST_URL: upstash.url,
      UPSTASH_REDIS_REST_TOKEN: upstash.token,
    },
    database: `Neon stand-in ${neon.server.url} over ${neon.backend}`,
    counters: `Upstash stand-in ${upstash.url} over Redis at ${new URL(redisUrl).host}`,
    close: async () => {
      await neon.server.close();
      await neon.pglite?.close();
      await upstash.close();
    },
  };
}
