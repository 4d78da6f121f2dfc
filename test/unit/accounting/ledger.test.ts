// The usage ledger as accounting writes it: batched rows with their balance changes in one
// statement, on each driver the core runs on. Retries never double-charge; an injected failure
// never leaves a balance change without its row (nor a row without its balance change).
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { recordUsageBatch } from "../../../src/store/repos/ledger-batch.ts";
import { LedgerWriter } from "../../../src/accounting/ledger-writer.ts";
import type { Db } from "../../../src/store/db.ts";
import { addCredit, getBalance } from "../../../src/store/repos/credit.ts";
import type { UsageRow } from "../../../src/store/repos/ledger.ts";
import { createOrg } from "../../../src/store/repos/orgs.ts";
import { createUser, deleteUser } from "../../../src/store/repos/users.ts";
import { usageLedger } from "../../../src/store/schema/index.ts";
import type { Logger } from "../../../src/domain/runtime.ts";
import { openNeonOverPostgres, openPglite, openPostgres, type OpenDb } from "../store/databases.ts";
import { serviceAvailable } from "../../support/services.ts";

const pgUp = await serviceAvailable("postgres");

const quietLogger = (): Logger & { error: ReturnType<typeof vi.fn>; warn: ReturnType<typeof vi.fn> } => ({ info: vi.fn(), warn: vi.fn(), error: vi.fn() });

let seq = 0;
const row = (owner: UsageRow["owner"], cost: number, over: Partial<UsageRow> = {}): UsageRow => ({
  requestId: `req-${process.pid}-${++seq}`,
  owner,
  apiKeyId: "key_1",
  model: "openai/mock-model",
  provider: "openai",
  upstreamModel: "mock-model",
  byok: false,
  promptTokens: 12,
  completionTokens: 34,
  estimated: false,
  costMicrodollars: cost,
  status: 200,
  latencyMs: 40,
  ttfbMs: 7,
  ...over,
});

async function ledgerRows(db: Db, requestIds: string[]) {
  const rows = await db.select().from(usageLedger).where(sql`${usageLedger.requestId} in ${requestIds}`);
  return rows.sort((a, b) => a.requestId.localeCompare(b.requestId));
}

function ledgerSuite(name: string, open: () => Promise<OpenDb>, skip = false) {
  describe.skipIf(skip)(`usage ledger batches on ${name}`, () => {
    let handle: OpenDb;
    let db: Db;
    const alice = { type: "user", id: `alice-${process.pid}` } as const;
    const bob = { type: "user", id: `bob-${process.pid}` } as const;
    const acme = { type: "org", id: `acme-${process.pid}` } as const;

    beforeAll(async () => {
      handle = await open();
      db = handle.db;
      await createUser(db, { id: alice.id });
      await createUser(db, { id: bob.id });
      await createOrg(db, { id: acme.id, name: "Acme" });
      for (const owner of [alice, bob, acme]) await addCredit(db, owner, 1_000_000);
    }, 60_000);

    afterAll(async () => handle?.close());

    it("writes every field and debits each owner the sum of its rows, users and orgs alike", async () => {
      const rows = [row(alice, 100), row(alice, 23, { estimated: true, ttfbMs: null, apiKeyId: null, model: "route/fast", resolvedModel: "openai/mock-model", attempts: 3 }), row(acme, 7, { byok: false, status: 502 }), row(bob, 0, { byok: true })];
      const before = await Promise.all([alice, bob, acme].map((o) => getBalance(db, o)));
      await recordUsageBatch(db, rows);
      expect(await Promise.all([alice, bob, acme].map((o) => getBalance(db, o)))).toEqual([before[0]! - 123, before[1], before[2]! - 7]);
      const stored = await ledgerRows(db, rows.map((r) => r.requestId));
      expect(stored).toHaveLength(4);
      const first = stored.find((r) => r.requestId === rows[1]!.requestId);
      expect(first).toMatchObject({
        ownerUserId: alice.id,
        ownerOrgId: null,
        apiKeyId: null,
        model: "route/fast",
        resolvedModel: "openai/mock-model",
        provider: "openai",
        upstreamModel: "mock-model",
        attempts: 3,
        byok: false,
        promptTokens: 12,
        completionTokens: 34,
        estimated: true,
        costMicrodollars: 23,
        status: 200,
        latencyMs: 40,
        ttfbMs: null,
      });
      expect(first?.createdAt).toBeInstanceOf(Date);
      expect(stored.find((r) => r.requestId === rows[2]!.requestId)).toMatchObject({ ownerOrgId: acme.id, status: 502, ttfbMs: 7, resolvedModel: null, attempts: 1 });
    });

    it("a retried batch (even mixed with new rows) charges nothing twice", async () => {
      const a = row(alice, 50);
      await recordUsageBatch(db, [a]);
      const before = await getBalance(db, alice);
      const b = row(alice, 5);
      await recordUsageBatch(db, [a, b, a]);
      expect(await getBalance(db, alice)).toBe(before! - 5);
      expect(await ledgerRows(db, [a.requestId, b.requestId])).toHaveLength(2);
    });

    it("one row whose owner is gone fails the batch; the writer then records the others one by one", async () => {
      const ghost = { type: "user", id: `ghost-${process.pid}-${seq}` } as const;
      await createUser(db, { id: ghost.id });
      await deleteUser(db, ghost.id);
      const log = quietLogger();
      const writer = new LedgerWriter(db, log, { retryDelaysMs: [1] });
      const good = row(bob, 11);
      const bad = row(ghost, 11);
      const before = await getBalance(db, bob);
      await Promise.all([writer.write(good), writer.write(bad)]);
      expect(await getBalance(db, bob)).toBe(before! - 11);
      expect((await ledgerRows(db, [good.requestId, bad.requestId])).map((r) => r.requestId)).toEqual([good.requestId]);
      expect(log.warn).toHaveBeenCalledWith(expect.stringContaining("one by one"), expect.anything());
      expect(log.error).toHaveBeenCalledWith("usage could not be recorded", expect.objectContaining({ requestId: bad.requestId, costMicrodollars: 11 }));
    });

    it("an injected failure in the balance update leaves neither a row nor a balance change; the retry records it once", async () => {
      // Fails the debit half of the statement for bob, twice; the insert half must roll back with it.
      await db.execute(sql.raw(`create sequence if not exists inject_seq`));
      await db.execute(sql.raw(`select setval('inject_seq', 1, false)`));
      await db.execute(
        sql.raw(`create or replace function inject_fail() returns trigger language plpgsql as $$
          begin
            if new.id = '${bob.id}' and nextval('inject_seq') <= 2 then raise exception 'injected accounting failure'; end if;
            return new;
          end $$`),
      );
      await db.execute(sql.raw(`drop trigger if exists inject_fail on users`));
      await db.execute(sql.raw(`create trigger inject_fail before update on users for each row execute function inject_fail()`));
      try {
        const r = row(bob, 321);
        const before = await getBalance(db, bob);
        await expect(recordUsageBatch(db, [r])).rejects.toThrow();
        expect(await ledgerRows(db, [r.requestId])).toHaveLength(0);
        expect(await getBalance(db, bob)).toBe(before);

        // Through the writer: the batch fails (second injection), the row-by-row retry succeeds.
        const log = quietLogger();
        const writer = new LedgerWriter(db, log, { retryDelaysMs: [1, 1] });
        await writer.write(r);
        expect(await getBalance(db, bob)).toBe(before! - 321);
        expect(await ledgerRows(db, [r.requestId])).toHaveLength(1);
        // And again (a duplicate delivery): nothing more is charged.
        await writer.write(r);
        expect(await getBalance(db, bob)).toBe(before! - 321);
        expect(log.error).not.toHaveBeenCalled();
      } finally {
        await db.execute(sql.raw(`drop trigger if exists inject_fail on users`));
      }
    });

    it("when every attempt fails, nothing is charged and the loss is logged with what to redo", async () => {
      const r = row(alice, 999);
      const before = await getBalance(db, alice);
      const log = quietLogger();
      const attempts = vi.fn(async () => {
        throw new Error("database unreachable");
      });
      const writer = new LedgerWriter(db, log, { retryDelaysMs: [1, 1], writeBatch: attempts, writeOne: attempts });
      await writer.write(r);
      expect(attempts).toHaveBeenCalledTimes(4); // the batch, then the row three times
      expect(await getBalance(db, alice)).toBe(before);
      expect(await ledgerRows(db, [r.requestId])).toHaveLength(0);
      expect(log.error).toHaveBeenCalledWith("usage could not be recorded", expect.objectContaining({ requestId: r.requestId, owner: alice, costMicrodollars: 999 }));
    });

    it("collects rows written together into one statement", async () => {
      const batches: number[] = [];
      const writer = new LedgerWriter(db, quietLogger(), {
        maxDelayMs: 5,
        writeBatch: async (d, rows) => {
          batches.push(rows.length);
          await recordUsageBatch(d, rows);
        },
      });
      const rows = Array.from({ length: 30 }, () => row(alice, 1));
      await Promise.all(rows.map((r) => writer.write(r)));
      expect(batches).toEqual([30]);
      const capped = new LedgerWriter(db, quietLogger(), { maxRows: 10, maxDelayMs: 1000, writeBatch: async (_d, rs) => void batches.push(rs.length) });
      batches.length = 0;
      const writes = Array.from({ length: 25 }, () => capped.write(row(alice, 1)));
      // Full batches go at once; the rest waits for its delay (or a flush).
      await Promise.all(writes.slice(0, 20));
      expect(batches).toEqual([10, 10]);
      await capped.flush();
      await Promise.all(writes);
      expect(batches).toEqual([10, 10, 5]);
    });
  });
}

ledgerSuite("PGlite", openPglite);
ledgerSuite("node-postgres", () => openPostgres("edgegate_accounting_pg"), !pgUp);
ledgerSuite("neon-http", () => openNeonOverPostgres("edgegate_accounting_neon"), !pgUp);
