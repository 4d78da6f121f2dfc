// What the edge adapters need and cannot get in a test: Neon and Upstash. Local stand-ins speak
// their protocols in front of the machine's real PostgreSQL and Redis; the conformance runs
// get their own database so other suites' table drops cannot reach them.
import pg from "pg";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import { startNeonHttp } from "../neon/index.ts";
import { POSTGRES_URL, REDIS_URL } from "../services.ts";
import { startUpstashRest } from "../upstash-rest/index.ts";

const DATABASE = "edgegate_conformance";

export function conformanceDatabaseUrl(): string {
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${DATABASE}`;
  return url.toString();
}

let migrated: Promise<void> | undefined;

/** Creates the conformance database once per test process and applies the migrations. */
export function prepareConformanceDatabase(): Promise<void> {
  migrated ??= (async () => {
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    try {
      const { rowCount } = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [DATABASE]);
      if (!rowCount) await admin.query(`CREATE DATABASE ${DATABASE}`);
    } finally {
      await admin.end();
    }
    const pool = new pg.Pool({ connectionString: conformanceDatabaseUrl(), max: 1 });
    try {
      await migrate(drizzle(pool), { migrationsFolder: new URL("../../../drizzle", import.meta.url).pathname });
    } finally {
      await pool.end();
    }
  })();
  return migrated;
}

export interface EdgeStorageStandIns {
  env: Record<string, string>;
  close(): Promise<void>;
}

/** Neon HTTP and Upstash REST stand-ins, as the env an edge adapter reads. */
export async function startEdgeStandIns(): Promise<EdgeStorageStandIns> {
  await prepareConformanceDatabase();
  const neon = await startNeonHttp({ backend: { kind: "postgres", url: conformanceDatabaseUrl() } });
  const upstash = await startUpstashRest({ redisUrl: REDIS_URL });
  return {
    env: {
      DATABASE_URL: neon.connectionString,
      NEON_FETCH_ENDPOINT: neon.url,
      UPSTASH_REDIS_REST_URL: upstash.url,
      UPSTASH_REDIS_REST_TOKEN: upstash.token,
    },
    close: async () => {
      await neon.close();
      await upstash.close();
    },
  };
}

type Launcher = (env: Record<string, string>) => Promise<{ url: string; close(): Promise<void> }>;

/** Runs a launcher with fresh Neon and Upstash stand-ins in its env, closing them with it. */
export function withEdgeStandIns(start: Launcher): Launcher {
  return async (env) => {
    const standIns = await startEdgeStandIns();
    try {
      const gw = await start({ ...standIns.env, ...env });
      return {
        url: gw.url,
        close: async () => {
          await gw.close();
          await standIns.close();
        },
      };
    } catch (err) {
      await standIns.close();
      throw err;
    }
  };
}
