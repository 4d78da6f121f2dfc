// `npm run db:migrate` as an operator runs it: against the real PostgreSQL directly, and through
// Neon's HTTP protocol (the stand-in) as it would against Neon. A second run applies nothing.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { MIGRATIONS_FOLDER } from "../../../adapters/node/storage.ts";
import { startNeonHttp, type NeonStandIn } from "../../support/neon/index.ts";
import { freshDatabase, serviceAvailable } from "../../support/services.ts";

const run = promisify(execFile);
const ok = await serviceAvailable("postgres");
const TOTAL = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER }).length;

async function migrate(env: Record<string, string>): Promise<string> {
  const { stdout } = await run(process.execPath, ["--import", "tsx", "scripts/migrate.ts"], { env: { ...process.env, ...env }, timeout: 60_000 });
  return stdout.trim();
}

async function tables(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
    return r.rows.map((row) => row.t);
  } finally {
    await client.end();
  }
}

describe.skipIf(!ok)("npm run db:migrate", () => {
  let neon: NeonStandIn | undefined;
  beforeAll(() => expect(TOTAL).toBeGreaterThan(0));
  afterAll(async () => {
    await neon?.close();
  });

  it("migrates a PostgreSQL database once, and is a no-op the second time", async () => {
    const url = await freshDatabase("edgegate_migrate_pg");
    expect(await migrate({ DATABASE_URL: url })).toBe(`postgres database at 127.0.0.1:5432: applied ${TOTAL} migration(s); ${TOTAL} of ${TOTAL} in drizzle/ now applied`);
    expect(await tables(url)).toEqual(expect.arrayContaining(["api_keys", "catalog_models", "organizations", "usage_ledger", "users"]));
    expect(await migrate({ DATABASE_URL: url })).toContain("applied 0 migration(s)");
  });

  it("migrates through Neon's HTTP protocol, statement by statement", async () => {
    const url = await freshDatabase("edgegate_migrate_neon");
    neon = await startNeonHttp({ backend: { kind: "postgres", url } });
    const env = { DATABASE_URL: neon.connectionString, NEON_FETCH_ENDPOINT: neon.url };
    expect(await migrate(env)).toContain(`neon database at db.localtest.me: applied ${TOTAL} migration(s)`);
    expect(neon.queries.some((q) => q.startsWith("CREATE TABLE"))).toBe(true);
    expect(await tables(url)).toEqual(expect.arrayContaining(["api_keys", "catalog_models", "users"]));
    expect(await migrate(env)).toContain("applied 0 migration(s)");
  });
});
