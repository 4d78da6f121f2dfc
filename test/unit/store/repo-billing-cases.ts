// Credit and the usage ledger, run on every driver by repo-cases.ts: atomic balances (exact
// beyond 2^32), one debit per request id even when it races, and the per-model, per-day summary.
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../../src/store/db.ts";
import { newId } from "../../../src/store/ids.ts";
import { addCredit, getBalance } from "../../../src/store/repos/credit.ts";
import { recordUsage, usageSummary } from "../../../src/store/repos/ledger.ts";
import { usageLedger } from "../../../src/store/schema/index.ts";
import { FOREIGN_KEY_VIOLATION } from "../../../src/store/pg-error.ts";
import { CHECK_VIOLATION, failure, orgOwner, repoHelpers, usage, userOwner, type RepoContext } from "./repo-fixtures.ts";

export function billingCases(ctx: RepoContext): void {
  describe("credit", () => {
    let db: Db;
    beforeAll(() => {
      db = ctx.db;
    });
    const { newUser, newOrg } = repoHelpers(ctx);

    it("adds and takes away atomically, below zero too, for users and organizations", async () => {
      const user = userOwner(await newUser());
      const org = orgOwner(await newOrg());
      expect(await addCredit(db, user, 5_000)).toBe(5_000);
      expect(await addCredit(db, user, -7_000)).toBe(-2_000);
      expect(await getBalance(db, user)).toBe(-2_000);
      // beyond 2^32: bigint columns must come back as exact numbers on every driver
      expect(await addCredit(db, org, 2 ** 40 + 1)).toBe(2 ** 40 + 1);
      expect(await getBalance(db, org)).toBe(2 ** 40 + 1);
      await Promise.all(Array.from({ length: 8 }, () => addCredit(db, user, 250)));
      expect(await getBalance(db, user)).toBe(0);
    });

    it("answers undefined for a missing owner and refuses fractional amounts", async () => {
      expect(await addCredit(db, userOwner(newId("usr")), 1)).toBeUndefined();
      expect(await getBalance(db, orgOwner(newId("org")))).toBeUndefined();
      const user = userOwner(await newUser());
      await expect(addCredit(db, user, 1.5)).rejects.toThrow(RangeError);
      await expect(addCredit(db, user, 2 ** 53)).rejects.toThrow(RangeError);
      expect(await getBalance(db, user)).toBe(0);
    });
  });

  describe("usage ledger", () => {
    let db: Db;
    beforeAll(() => {
      db = ctx.db;
    });
    const { newUser, newOrg, rowsOf } = repoHelpers(ctx);

    it("records a request once and debits its owner once", async () => {
      const user = userOwner(await newUser());
      await addCredit(db, user, 1_000);
      const row = usage(user, { costMicrodollars: 300, apiKeyId: "key_gone", ttfbMs: 12 });
      expect(await recordUsage(db, row)).toBe(true);
      expect(await getBalance(db, user)).toBe(700);
      expect(await recordUsage(db, { ...row, costMicrodollars: 999 })).toBe(false);
      expect(await getBalance(db, user)).toBe(700);
      const stored = await db.select().from(usageLedger).where(eq(usageLedger.requestId, row.requestId));
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({ ownerUserId: user.id, ownerOrgId: null, apiKeyId: "key_gone", costMicrodollars: 300, ttfbMs: 12, byok: false });
      expect(stored[0]?.createdAt).toBeInstanceOf(Date);
    });

    it("debits exactly once when the same request id races", async () => {
      const org = orgOwner(await newOrg());
      const row = usage(org, { costMicrodollars: 40 });
      const results = await Promise.all(Array.from({ length: 6 }, () => recordUsage(db, row)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await getBalance(db, org)).toBe(-40);
    });

    it("records a free (BYOK) request without changing the balance", async () => {
      const user = userOwner(await newUser());
      expect(await recordUsage(db, usage(user, { byok: true, costMicrodollars: 0 }))).toBe(true);
      expect(await getBalance(db, user)).toBe(0);
      expect(await rowsOf(usageLedger, user.id)).toBe(1);
    });

    it("fails a missing owner with 23503 and refuses negative numbers with 23514", async () => {
      expect(await failure(recordUsage(db, usage(userOwner(newId("usr")))))).toBe(FOREIGN_KEY_VIOLATION);
      const user = userOwner(await newUser());
      expect(await failure(recordUsage(db, usage(user, { promptTokens: -1 })))).toBe(CHECK_VIOLATION);
      expect(await getBalance(db, user)).toBe(0);
      expect(await rowsOf(usageLedger, user.id)).toBe(0);
    });

    it("summarises by model and by UTC day, newest day first, since a date", async () => {
      const user = userOwner(await newUser());
      const other = userOwner(await newUser());
      const at = (iso: string) => new Date(iso);
      await recordUsage(db, usage(user, { model: "b/m", createdAt: at("2025-03-01T23:30:00Z"), promptTokens: 1, completionTokens: 2, costMicrodollars: 3 }));
      await recordUsage(db, usage(user, { model: "a/m", createdAt: at("2025-03-02T00:30:00Z"), promptTokens: 10, completionTokens: 20, costMicrodollars: 2 ** 33 }));
      await recordUsage(db, usage(user, { model: "b/m", createdAt: at("2025-03-02T12:00:00Z"), promptTokens: 100, completionTokens: 200, costMicrodollars: 300 }));
      await recordUsage(db, usage(other, { model: "a/m", createdAt: at("2025-03-02T12:00:00Z") }));

      expect(await usageSummary(db, user)).toEqual({
        byModel: [
          { model: "a/m", requests: 1, promptTokens: 10, completionTokens: 20, costMicrodollars: 2 ** 33 },
          { model: "b/m", requests: 2, promptTokens: 101, completionTokens: 202, costMicrodollars: 303 },
        ],
        byDay: [
          { day: "2025-03-02", requests: 2, promptTokens: 110, completionTokens: 220, costMicrodollars: 2 ** 33 + 300 },
          { day: "2025-03-01", requests: 1, promptTokens: 1, completionTokens: 2, costMicrodollars: 3 },
        ],
      });
      const since = await usageSummary(db, user, { since: at("2025-03-02T06:00:00Z") });
      expect(since.byModel).toEqual([{ model: "b/m", requests: 1, promptTokens: 100, completionTokens: 200, costMicrodollars: 300 }]);
      expect(since.byDay.map((d) => d.day)).toEqual(["2025-03-02"]);
      expect(await usageSummary(db, userOwner(await newUser()))).toEqual({ byModel: [], byDay: [] });
    });
  });
}
