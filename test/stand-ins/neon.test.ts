// The Neon SQL-over-HTTP stand-in, driven only by the unmodified `neon()` client and drizzle's
// neon-http driver, in front of the real PostgreSQL and of PGlite: if these pass, the data layer
// meets the same wire behaviour it meets on Neon.
import { PGlite } from "@electric-sql/pglite";
import { neon, NeonDbError, type NeonQueryFunction } from "@neondatabase/serverless";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/neon-http";
import { boolean, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pointNeonClientAt, startNeonHttp, type NeonStandIn } from "../support/neon/index.ts";
import { freshDatabase, serviceAvailable } from "../support/services.ts";

const DATABASE = "edgegate_neon_standin";
const pgOk = await serviceAvailable("postgres");

const things = pgTable("things", {
  id: integer("id").primaryKey(),
  name: text("name").notNull().unique(),
  meta: jsonb("meta").$type<{ tags: string[] }>(),
  flag: boolean("flag").notNull().default(false),
  at: timestamp("at", { withTimezone: true, mode: "date" }),
});

const DDL = `CREATE TABLE things (
  id integer PRIMARY KEY, name text NOT NULL UNIQUE, meta jsonb, flag boolean NOT NULL DEFAULT false,
  at timestamptz)`;

function standInCases(name: string, start: () => Promise<NeonStandIn>) {
  describe(name, () => {
    let standIn: NeonStandIn;
    let client: NeonQueryFunction<false, false>;

    beforeAll(async () => {
      standIn = await start();
      pointNeonClientAt(standIn);
      client = neon(standIn.connectionString);
      await client.query(DDL);
    });
    afterAll(async () => {
      await standIn?.close();
    });

    it("answers a parameterised query with typed values parsed by the client", async () => {
      const rows = await client.query("SELECT $1::int + 1 AS n, $2::text AS s, now() AS t, '{\"a\":[1]}'::jsonb AS j, true AS b, NULL AS z", ["41", "héllo"]);
      expect(rows).toHaveLength(1);
      const [row] = rows;
      expect(row).toMatchObject({ n: 42, s: "héllo", j: { a: [1] }, b: true, z: null });
      // A Date, or its text once drizzle's neon-http driver has set its global identity parser.
      const t = row?.t;
      expect(t instanceof Date || typeof t === "string").toBe(true);
      expect(Math.abs(new Date(t instanceof Date || typeof t === "string" ? t : 0).getTime() - Date.now())).toBeLessThan(60_000);
    });

    it("supports array mode and full results with the command tag", async () => {
      const full = await client.query("INSERT INTO things (id, name) VALUES (1, 'one'), (2, 'two')", [], { fullResults: true });
      expect(full.command).toBe("INSERT");
      expect(full.rowCount).toBe(2);
      const arrays = await client.query("SELECT id, name FROM things ORDER BY id", [], { arrayMode: true });
      expect(arrays).toEqual([[1, "one"], [2, "two"]]);
    });

    it("keeps text arrays, bigints and numerics in Postgres text encoding", async () => {
      const [row] = await client.query("SELECT ARRAY['a','b,c']::text[] AS arr, 9007199254740993::int8 AS big, 1.50::numeric AS num");
      expect(row?.arr).toEqual(["a", "b,c"]);
      expect(row?.big).toBe("9007199254740993");
      expect(row?.num).toBe("1.50");
    });

    it("reports database errors with their SQLSTATE and constraint", async () => {
      const err = await client.query("INSERT INTO things (id, name) VALUES (3, 'one')").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NeonDbError);
      expect(err).toMatchObject({ code: "23505", constraint: "things_name_key" });
      const syntax = await client.query("SELEKT 1").catch((e: unknown) => e);
      expect(syntax).toMatchObject({ code: "42601" });
    });

    it("runs transaction batches atomically and rolls the whole batch back on error", async () => {
      const [a, b] = await client.transaction([
        client.query("INSERT INTO things (id, name) VALUES (10, 'ten') RETURNING id"),
        client.query("SELECT count(*)::int AS n FROM things WHERE id = 10"),
      ]);
      expect(a).toEqual([{ id: 10 }]);
      expect(b).toEqual([{ n: 1 }]);
      const failed = await client
        .transaction([client.query("INSERT INTO things (id, name) VALUES (11, 'eleven')"), client.query("INSERT INTO things (id, name) VALUES (12, 'ten')")])
        .catch((e: unknown) => e);
      expect(failed).toMatchObject({ code: "23505" });
      expect(await client.query("SELECT id FROM things WHERE id IN (11, 12)")).toEqual([]);
    });

    it("honours batch isolation and read-only options", async () => {
      const readOnly = await client
        .transaction([client.query("INSERT INTO things (id, name) VALUES (20, 'twenty')")], { readOnly: true, isolationLevel: "Serializable" })
        .catch((e: unknown) => e);
      expect(readOnly).toMatchObject({ code: "25006" });
      const [shown] = await client.transaction([client.query("SHOW transaction_isolation")], { isolationLevel: "RepeatableRead" });
      expect(shown).toEqual([{ transaction_isolation: "repeatable read" }]);
    });

    it("serves drizzle's neon-http driver: typed inserts, selects, json, timestamps and db.batch", async () => {
      const db = drizzle({ client });
      const at = new Date("2026-01-02T03:04:05.678Z");
      await db.insert(things).values({ id: 30, name: "drizzle", meta: { tags: ["x", "y"] }, flag: true, at });
      const [row] = await db.select().from(things).where(sql`${things.id} = 30`);
      expect(row).toEqual({ id: 30, name: "drizzle", meta: { tags: ["x", "y"] }, flag: true, at });
      const [inserted, counted] = await db.batch([
        db.insert(things).values({ id: 31, name: "batched" }).returning({ id: things.id }),
        db.select({ n: sql<number>`count(*)::int` }).from(things),
      ]);
      expect(inserted).toEqual([{ id: 31 }]);
      expect(counted[0]?.n).toBeGreaterThanOrEqual(3);
      await expect(db.transaction(async () => {})).rejects.toThrow();
    });

    it("counts every statement it runs", async () => {
      standIn.resetQueries();
      await client.query("SELECT 1");
      await client.transaction([client.query("SELECT 2"), client.query("SELECT 3")]);
      expect(standIn.queries).toEqual(["SELECT 1", "SELECT 2", "SELECT 3"]);
    });

    it("rejects requests the client would never send with a 400 JSON body", async () => {
      const noHeader = await fetch(standIn.url, { method: "POST", body: JSON.stringify({ query: "SELECT 1", params: [] }) });
      expect(noHeader.status).toBe(400);
      expect(await noHeader.json()).toMatchObject({ message: expect.stringContaining("Neon-Connection-String") });
      const badJson = await fetch(standIn.url, { method: "POST", headers: { "neon-connection-string": standIn.connectionString }, body: "{" });
      expect(badJson.status).toBe(400);
    });
  });
}

describe.skipIf(!pgOk)("Neon stand-in on PostgreSQL", () => {
  standInCases("postgres backend", async () => startNeonHttp({ backend: { kind: "postgres", url: await freshDatabase(DATABASE) } }));
});

standInCases("Neon stand-in on PGlite", async () => startNeonHttp({ backend: { kind: "pglite", db: await PGlite.create() } }));
