// Integrity across tables, run on every driver by repo-cases.ts: what deleting a user cascades
// to, and `atomically` (batch or transaction, per driver) committing or rolling back as one.
import { eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { atomically, type Db } from "../../../src/store/db.ts";
import { newId } from "../../../src/store/ids.ts";
import { createApiKey } from "../../../src/auth/api-keys.ts";
import { addCredit, getBalance } from "../../../src/store/repos/credit.ts";
import { recordUsage } from "../../../src/store/repos/ledger.ts";
import { getOrg, getRole, putMember } from "../../../src/store/repos/orgs.ts";
import { deleteUser, getUser } from "../../../src/store/repos/users.ts";
import { apiKeys, organizations, orgMemberships, usageLedger, users } from "../../../src/store/schema/index.ts";
import { UNIQUE_VIOLATION } from "../../../src/store/pg-error.ts";
import { CHECK_VIOLATION, failure, repoHelpers, usage, userOwner, type RepoContext, type RepoSuiteOptions } from "./repo-fixtures.ts";

export function integrityCases(ctx: RepoContext, opts: RepoSuiteOptions): void {
  describe("foreign keys", () => {
    let db: Db;
    beforeAll(() => {
      db = ctx.db;
    });
    const { newUser, newOrg, rowsOf } = repoHelpers(ctx);

    it("deleting a user removes their api keys, memberships and ledger rows", async () => {
      const [userId, keeperId, orgId] = [await newUser(), await newUser(), await newOrg()];
      const user = userOwner(userId);
      await createApiKey(db, { owner: user });
      await createApiKey(db, { owner: userOwner(keeperId) });
      await putMember(db, orgId, userId, "owner");
      await putMember(db, orgId, keeperId, "member");
      await recordUsage(db, usage(user));
      expect([await rowsOf(apiKeys, userId), await rowsOf(usageLedger, userId)]).toEqual([1, 1]);

      expect(await deleteUser(db, userId)).toBe(true);
      expect([await rowsOf(apiKeys, userId), await rowsOf(usageLedger, userId)]).toEqual([0, 0]);
      expect(await db.select().from(orgMemberships).where(eq(orgMemberships.userId, userId))).toEqual([]);
      // nothing of anyone else's went with them
      expect(await rowsOf(apiKeys, keeperId)).toBe(1);
      expect(await getRole(db, orgId, keeperId)).toBe("member");
      expect(await getOrg(db, orgId)).toBeDefined();
    });
  });

  describe("atomically", () => {
    let db: Db;
    beforeAll(() => {
      db = ctx.db;
    });
    const { newUser, newOrg } = repoHelpers(ctx);

    it(`takes the ${opts.batches ? "batch" : "transaction"} path on this driver`, () => {
      expect(typeof Reflect.get(db, "batch") === "function").toBe(opts.batches);
    });

    it("commits every write together and resolves to each result", async () => {
      const [a, b] = [newId("usr"), newId("usr")];
      const results = await atomically(db, (tx) => [
        tx.insert(users).values({ id: a }),
        tx.insert(users).values({ id: b }).returning({ id: users.id }),
      ]);
      expect(results).toHaveLength(2);
      expect(results[1]).toEqual([{ id: b }]);
      expect(await getUser(db, a)).toBeDefined();
      expect(await getUser(db, b)).toBeDefined();
      expect(await atomically(db, () => [])).toEqual([]);
    });

    it("rolls the first write back when the second fails, with the failure's SQLSTATE", async () => {
      const email = `${newId("e")}@example.com`;
      await newUser(email);
      const fresh = newId("usr");
      const code = await failure(
        atomically(db, (tx) => [tx.insert(users).values({ id: fresh }), tx.insert(users).values({ id: newId("usr"), email })]),
      );
      expect(code).toBe(UNIQUE_VIOLATION);
      expect(await getUser(db, fresh)).toBeUndefined();
    });

    it("rolls back an update and a delete too", async () => {
      const user = userOwner(await newUser());
      await addCredit(db, user, 500);
      const orgId = await newOrg();
      const code = await failure(
        atomically(db, (tx) => [
          tx.update(users).set({ creditMicrodollars: sql`${users.creditMicrodollars} + 1` }).where(eq(users.id, user.id)),
          tx.delete(organizations).where(eq(organizations.id, orgId)),
          // neither owner: the one-owner CHECK fails the last write
          tx.insert(apiKeys).values({ id: newId("key"), keyHash: newId("h"), prefix: "egk_x" }),
        ]),
      );
      expect(code).toBe(CHECK_VIOLATION);
      expect(await getBalance(db, user)).toBe(500);
      expect(await getOrg(db, orgId)).toBeDefined();
      expect(await db.select().from(apiKeys).where(eq(apiKeys.ownerUserId, user.id))).toEqual([]);
    });
  });
}
