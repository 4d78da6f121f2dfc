// Shared set-up for the upstream/BYOK suites: migrated databases on each driver the core runs
// on, owners to hang rows on, and key rings.
import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzleNodePg } from "drizzle-orm/node-postgres";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import pg from "pg";
import { migratePglite, migratePostgres } from "../../adapters/node/storage.ts";
import type { Owner } from "../../src/domain/caller.ts";
import type { Db } from "../../src/store/db.ts";
import { createNeonDb } from "../../src/store/neon.ts";
import { createOrg, putMember } from "../../src/store/repos/orgs.ts";
import { createUser } from "../../src/store/repos/users.ts";
import * as schema from "../../src/store/schema/index.ts";
import { parseKeyRing, type ParsedKeyRing } from "../../src/credentials/index.ts";
import { pointNeonClientAt, startNeonHttp } from "./neon/index.ts";
import { POSTGRES_URL, serviceAvailable } from "./services.ts";

export interface TestDb {
  db: Db;
  close(): Promise<void>;
}

export async function pgliteDb(): Promise<TestDb & { client: PGlite }> {
  const client = await PGlite.create();
  await migratePglite(client);
  return { db: drizzlePglite({ client, schema }), client, close: () => client.close() };
}

/** neon-http (the edge driver) against the Neon stand-in over an in-memory PGlite. */
export async function neonDb(): Promise<TestDb> {
  const client = await PGlite.create();
  await migratePglite(client);
  const standIn = await startNeonHttp({ backend: { kind: "pglite", db: client } });
  pointNeonClientAt(standIn);
  return { db: createNeonDb(standIn.connectionString), close: () => standIn.close() };
}

/** A fresh, migrated database on the machine's PostgreSQL; undefined when it is not running (see serviceAvailable). */
export async function postgresDb(): Promise<(TestDb & { url: string }) | undefined> {
  if (!(await serviceAvailable("postgres"))) return undefined;
  const name = `edgegate_upstreams_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.href });
  await migratePostgres(pool);
  return {
    db: drizzleNodePg({ client: pool, schema }),
    url: url.href,
    close: async () => {
      await pool.end();
      const drop = new pg.Client({ connectionString: POSTGRES_URL });
      await drop.connect();
      await drop.query(`drop database if exists ${name} with (force)`);
      await drop.end();
    },
  };
}

export const alice: Owner = { type: "user", id: "u-alice" };
export const bob: Owner = { type: "user", id: "u-bob" };
export const acme: Owner = { type: "org", id: "org-acme" };
export const globex: Owner = { type: "org", id: "org-globex" };

/** alice (owner of acme), bob (member of acme), and globex (nobody's). */
export async function seedOwners(db: Db): Promise<void> {
  await createUser(db, { id: alice.id });
  await createUser(db, { id: bob.id });
  await createOrg(db, { id: acme.id, name: "Acme" });
  await createOrg(db, { id: globex.id, name: "Globex" });
  await putMember(db, acme.id, alice.id, "owner");
  await putMember(db, acme.id, bob.id, "member");
}

const keys = new Map<string, string>();
function keyFor(id: string): string {
  let key = keys.get(id);
  if (!key) {
    let binary = "";
    for (const b of crypto.getRandomValues(new Uint8Array(32))) binary += String.fromCharCode(b);
    key = btoa(binary);
    keys.set(id, key);
  }
  return key;
}

/** `id:base64key,…` with a stable random key per id (newest last). */
export const ringSpec = (...ids: string[]) => ids.map((id) => `${id}:${keyFor(id)}`).join(",");
export const ring = (...ids: string[]): ParsedKeyRing => parseKeyRing(ringSpec(...ids));
