// The repository suite, run unchanged on every driver (repos-*.test.ts): the same calls must
// give the same rows, the same JS types (Dates, numbers from bigint columns) and the same
// SQLSTATEs, because the HTTP layer maps 23505 to 409 and 23503 to 404/422 whatever the driver.
// Every case makes its own ids, so cases share one database without seeing each other.
import { count, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Owner } from "../../../src/domain/caller.ts";
import { sha256Hex } from "../../../src/auth/hash-key.ts";
import { atomically, type Db } from "../../../src/store/db.ts";
import { newId } from "../../../src/store/ids.ts";
import { createApiKey, DISPLAY_PREFIX_LENGTH } from "../../../src/auth/api-keys.ts";
import { findApiKeyByHash, listApiKeys, revokeApiKey, touchApiKey } from "../../../src/store/repos/api-keys.ts";
import { getModel, listEnabledModels, upsertModel } from "../../../src/store/repos/catalog.ts";
import { addCredit, getBalance } from "../../../src/store/repos/credit.ts";
import { recordUsage, usageSummary, type UsageRow } from "../../../src/store/repos/ledger.ts";
import {
  createOrg,
  deleteMember,
  deleteOrg,
  getOrg,
  getOrgSettings,
  getRole,
  orgsOfUser,
  putMember,
  putOrgSettings,
} from "../../../src/store/repos/orgs.ts";
import { createUser, deleteUser, getUser, rotatePepper, setBlocked } from "../../../src/store/repos/users.ts";
import { apiKeys, catalogModels, organizations, orgMemberships, usageLedger, users } from "../../../src/store/schema/index.ts";
import { FOREIGN_KEY_VIOLATION, sqlState, UNIQUE_VIOLATION } from "../../../src/store/pg-error.ts";
import type { OpenDb } from "./databases.ts";

const CHECK_VIOLATION = "23514";

export interface RepoSuiteOptions {
  /** Skip the whole suite (the service is down; serviceAvailable has said why). */
  skip?: boolean;
  /** Whether the driver has `batch` (neon-http), i.e. which path `atomically` takes. */
  batches: boolean;
}

/** The SQLSTATE the query failed with; "resolved" when it did not fail. */
async function failure(query: PromiseLike<unknown>): Promise<string> {
  try {
    await query;
  } catch (err) {
    return sqlState(err) ?? `no SQLSTATE in ${String(err)}`;
  }
  return "resolved";
}

const userOwner = (id: string): Owner => ({ type: "user", id });
const orgOwner = (id: string): Owner => ({ type: "org", id });

const usage = (owner: Owner, over: Partial<UsageRow> = {}): UsageRow => ({
  requestId: newId("req"),
  owner,
  model: "openai/gpt-4o-mini",
  provider: "openai",
  upstreamModel: "gpt-4o-mini",
  byok: false,
  promptTokens: 10,
  completionTokens: 5,
  estimated: false,
  costMicrodollars: 100,
  status: 200,
  latencyMs: 50,
  ...over,
});

export function describeRepos(name: string, open: () => Promise<OpenDb>, opts: RepoSuiteOptions): void {
  describe.skipIf(opts.skip ?? false)(`repositories on ${name}`, () => {
    let opened: OpenDb | undefined;
    let db: Db;
    beforeAll(async () => {
      opened = await open();
      db = opened.db;
    });
    afterAll(async () => {
      await opened?.close();
    });

    const newUser = async (email?: string) => (await createUser(db, { email })).id;
    const newOrg = async () => (await createOrg(db, { name: "Acme" })).id;
    const rowsOf = async (table: typeof apiKeys | typeof usageLedger, ownerUserId: string) => {
      const [row] = await db.select({ n: count() }).from(table).where(eq(table.ownerUserId, ownerUserId));
      return row?.n;
    };

    describe("users", () => {
      it("creates with defaults and reads back the same JS types", async () => {
        const email = `${newId("e")}@example.com`;
        const created = await createUser(db, { email });
        expect(created).toMatchObject({ email, pepper: null, blocked: false, creditMicrodollars: 0 });
        expect(created.id).toMatch(/^usr_[0-9a-f]{32}$/);
        expect(created.createdAt).toBeInstanceOf(Date);
        expect(Math.abs(created.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
        expect(await getUser(db, created.id)).toEqual(created);
        expect(await getUser(db, newId("usr"))).toBeUndefined();
      });

      it("refuses a taken email or id with 23505", async () => {
        const email = `${newId("e")}@example.com`;
        const id = await newUser(email);
        expect(await failure(createUser(db, { email }))).toBe(UNIQUE_VIOLATION);
        expect(await failure(createUser(db, { id }))).toBe(UNIQUE_VIOLATION);
        // emails are optional: many users may have none
        await newUser();
        await newUser();
      });

      it("rotates the pepper and blocks", async () => {
        const id = await newUser();
        const first = await rotatePepper(db, id);
        const second = await rotatePepper(db, id);
        expect(first).toMatch(/^[A-Za-z0-9_-]{32}$/);
        expect(second).not.toBe(first);
        expect((await getUser(db, id))?.pepper).toBe(second);
        expect(await rotatePepper(db, newId("usr"))).toBeUndefined();

        expect(await setBlocked(db, id, true)).toBe(true);
        expect((await getUser(db, id))?.blocked).toBe(true);
        expect(await setBlocked(db, id, false)).toBe(true);
        expect((await getUser(db, id))?.blocked).toBe(false);
        expect(await setBlocked(db, newId("usr"), true)).toBe(false);
      });

      it("deletes once", async () => {
        const id = await newUser();
        expect(await deleteUser(db, id)).toBe(true);
        expect(await deleteUser(db, id)).toBe(false);
        expect(await getUser(db, id)).toBeUndefined();
      });
    });

    describe("organizations", () => {
      it("creates with a plan, refuses a taken id and an unknown plan", async () => {
        const org = await createOrg(db, { name: "Acme" });
        expect(org).toMatchObject({ name: "Acme", plan: "free", creditMicrodollars: 0 });
        expect(org.createdAt).toBeInstanceOf(Date);
        expect(await getOrg(db, org.id)).toEqual(org);
        expect((await createOrg(db, { name: "Big", plan: "enterprise" })).plan).toBe("enterprise");
        expect(await failure(createOrg(db, { id: org.id, name: "Again" }))).toBe(UNIQUE_VIOLATION);
        expect(await failure(db.insert(organizations).values({ id: newId("org"), name: "X", plan: sql`'gold'` }))).toBe(CHECK_VIOLATION);
        expect(await getOrg(db, newId("org"))).toBeUndefined();
      });

      it("puts, changes, lists and removes members", async () => {
        const [userId, orgA, orgB] = [await newUser(), await newOrg(), await newOrg()];
        expect(await putMember(db, orgA, userId, "member")).toBe(true);
        expect(await getRole(db, orgA, userId)).toBe("member");
        expect(await putMember(db, orgA, userId, "admin")).toBe(true);
        expect(await getRole(db, orgA, userId)).toBe("admin");
        expect(await putMember(db, orgB, userId, "owner")).toBe(true);
        const expected = [
          { orgId: orgA, role: "admin" },
          { orgId: orgB, role: "owner" },
        ].sort((a, b) => (a.orgId < b.orgId ? -1 : 1));
        expect(await orgsOfUser(db, userId)).toEqual(expected);

        expect(await deleteMember(db, orgA, userId)).toBe(true);
        expect(await deleteMember(db, orgA, userId)).toBe(false);
        expect(await getRole(db, orgA, userId)).toBeUndefined();
        expect(await orgsOfUser(db, userId)).toEqual([{ orgId: orgB, role: "owner" }]);
      });

      it("puts no member when the user or the organization is missing, without an FK error", async () => {
        const [userId, orgId] = [await newUser(), await newOrg()];
        expect(await putMember(db, orgId, newId("usr"), "member")).toBe(false);
        expect(await putMember(db, newId("org"), userId, "member")).toBe(false);
        expect(await orgsOfUser(db, userId)).toEqual([]);
      });

      it("enforces the membership key and role at the database", async () => {
        const [userId, orgId] = [await newUser(), await newOrg()];
        await putMember(db, orgId, userId, "member");
        expect(await failure(db.insert(orgMemberships).values({ orgId, userId, role: "admin" }))).toBe(UNIQUE_VIOLATION);
        const other = await newUser();
        expect(await failure(db.insert(orgMemberships).values({ orgId, userId: other, role: sql`'boss'` }))).toBe(CHECK_VIOLATION);
        expect(await failure(db.insert(orgMemberships).values({ orgId, userId: newId("usr"), role: "member" }))).toBe(FOREIGN_KEY_VIOLATION);
      });

      it("stores settings validated, strips unknown keys, and rejects a malformed row on read", async () => {
        const orgId = await newOrg();
        expect(await getOrgSettings(db, orgId)).toEqual({});
        const settings = {
          model_allowlist: ["openai/gpt-4o-mini"],
          provider_denylist: ["groq"],
          data_collection: "deny" as const,
          auto_model: { enabled: true, fallback_model: "openai/gpt-4o-mini", routes: { code: "openai/gpt-4o" } },
          unknown_key: true,
        };
        expect(await putOrgSettings(db, orgId, settings)).toBe(true);
        const { unknown_key: _dropped, ...kept } = settings;
        expect(await getOrgSettings(db, orgId)).toEqual(kept);
        expect(await putOrgSettings(db, newId("org"), {})).toBe(false);
        expect(await getOrgSettings(db, newId("org"))).toBeUndefined();

        // a hand-edited row must fail loudly, not silently lose its allow-list
        await db.update(organizations).set({ settings: { model_allowlist: "gpt-4o" } }).where(eq(organizations.id, orgId));
        await expect(getOrgSettings(db, orgId)).rejects.toThrow(/malformed settings/);
      });

      it("deletes an organization with its memberships, keys and usage", async () => {
        const [userId, orgId] = [await newUser(), await newOrg()];
        const org = orgOwner(orgId);
        await putMember(db, orgId, userId, "owner");
        await createApiKey(db, { owner: org });
        await addCredit(db, org, 1000);
        await recordUsage(db, usage(org));
        expect(await deleteOrg(db, orgId)).toBe(true);
        expect(await deleteOrg(db, orgId)).toBe(false);
        expect(await orgsOfUser(db, userId)).toEqual([]);
        expect(await db.select().from(apiKeys).where(eq(apiKeys.ownerOrgId, orgId))).toEqual([]);
        expect(await db.select().from(usageLedger).where(eq(usageLedger.ownerOrgId, orgId))).toEqual([]);
        expect(await getUser(db, userId)).toBeDefined();
      });
    });

    describe("credit", () => {
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

    describe("api keys", () => {
      it("stores only the hash and finds the key by it", async () => {
        const userId = await newUser();
        const expiresAt = new Date("2031-01-02T03:04:05.678Z");
        const created = await createApiKey(db, { owner: userOwner(userId), name: "ci", expiresAt, rpmLimit: 60, tpmLimit: 100_000 });
        expect(created.key).toMatch(/^egk_[A-Za-z0-9_-]{43}$/);
        expect(created.prefix).toBe(created.key.slice(0, DISPLAY_PREFIX_LENGTH));
        expect(created).toMatchObject({ name: "ci" });
        expect(created.createdAt).toBeInstanceOf(Date);

        const hash = await sha256Hex(created.key);
        const [stored] = await db.select().from(apiKeys).where(eq(apiKeys.id, created.id));
        expect(stored?.keyHash).toBe(hash);
        expect(JSON.stringify(stored)).not.toContain(created.key);

        expect(await findApiKeyByHash(db, hash)).toEqual({
          id: created.id,
          ownerUserId: userId,
          ownerOrgId: null,
          expiresAt,
          revokedAt: null,
          rpmLimit: 60,
          tpmLimit: 100_000,
        });
        expect(await findApiKeyByHash(db, await sha256Hex(`${created.key}x`))).toBeUndefined();
      });

      it("keys an organization's key to the organization only", async () => {
        const orgId = await newOrg();
        const created = await createApiKey(db, { owner: orgOwner(orgId) });
        expect(await findApiKeyByHash(db, await sha256Hex(created.key))).toMatchObject({ ownerUserId: null, ownerOrgId: orgId, rpmLimit: null });
      });

      it("refuses a missing owner (23503), negative limits (23514) and a repeated hash (23505)", async () => {
        expect(await failure(createApiKey(db, { owner: userOwner(newId("usr")) }))).toBe(FOREIGN_KEY_VIOLATION);
        expect(await failure(createApiKey(db, { owner: orgOwner(newId("org")) }))).toBe(FOREIGN_KEY_VIOLATION);
        const userId = await newUser();
        expect(await failure(createApiKey(db, { owner: userOwner(userId), rpmLimit: -1 }))).toBe(CHECK_VIOLATION);
        const keyHash = await sha256Hex((await createApiKey(db, { owner: userOwner(userId) })).key);
        expect(await failure(db.insert(apiKeys).values({ id: newId("key"), keyHash, prefix: "egk_x", ownerUserId: userId }))).toBe(UNIQUE_VIOLATION);
      });

      it("checks exactly one owner: both or neither fail with 23514", async () => {
        const [userId, orgId] = [await newUser(), await newOrg()];
        const row = async () => ({ id: newId("key"), keyHash: await sha256Hex(newId("k")), prefix: "egk_x" });
        expect(await failure(db.insert(apiKeys).values({ ...(await row()), ownerUserId: userId, ownerOrgId: orgId }))).toBe(CHECK_VIOLATION);
        expect(await failure(db.insert(apiKeys).values({ ...(await row()), ownerUserId: null, ownerOrgId: null }))).toBe(CHECK_VIOLATION);
        expect(await failure(db.insert(apiKeys).values(await row()))).toBe(CHECK_VIOLATION);
        expect(await rowsOf(apiKeys, userId)).toBe(0);
      });

      it("lists the owner's keys newest first, without hashes", async () => {
        const [userId, otherId] = [await newUser(), await newUser()];
        const owner = userOwner(userId);
        const ids: string[] = [];
        for (const name of ["a", "b", "c"]) ids.push((await createApiKey(db, { owner, name })).id);
        await createApiKey(db, { owner: userOwner(otherId) });
        const listed = await listApiKeys(db, owner);
        expect(listed.map((k) => k.id)).toEqual(ids.reverse());
        expect(listed.map((k) => k.name)).toEqual(["c", "b", "a"]);
        for (const key of listed) {
          expect(Object.keys(key).sort()).toEqual(["createdAt", "expiresAt", "id", "lastUsedAt", "name", "prefix", "revokedAt"]);
          expect(key.createdAt).toBeInstanceOf(Date);
        }
        expect(await listApiKeys(db, orgOwner(newId("org")))).toEqual([]);
      });

      it("revokes only the owner's live key, once", async () => {
        const [userId, otherId] = [await newUser(), await newUser()];
        const created = await createApiKey(db, { owner: userOwner(userId) });
        expect(await revokeApiKey(db, userOwner(otherId), created.id)).toBe(false);
        expect(await revokeApiKey(db, userOwner(userId), created.id)).toBe(true);
        expect(await revokeApiKey(db, userOwner(userId), created.id)).toBe(false);
        const found = await findApiKeyByHash(db, await sha256Hex(created.key));
        expect(found?.revokedAt).toBeInstanceOf(Date);
        const [listed] = await listApiKeys(db, userOwner(userId));
        expect(listed?.revokedAt?.getTime()).toBe(found?.revokedAt?.getTime());
      });

      it("touches last_used_at forward only", async () => {
        const userId = await newUser();
        const created = await createApiKey(db, { owner: userOwner(userId) });
        const lastUsed = async () => (await listApiKeys(db, userOwner(userId)))[0]?.lastUsedAt;
        expect(await lastUsed()).toBeNull();
        const t1 = new Date("2030-05-06T07:08:09.123Z");
        await touchApiKey(db, created.id, t1);
        expect(await lastUsed()).toEqual(t1);
        await touchApiKey(db, created.id, new Date(t1.getTime() - 1));
        expect(await lastUsed()).toEqual(t1);
        const t2 = new Date(t1.getTime() + 1);
        await touchApiKey(db, created.id, t2);
        expect(await lastUsed()).toEqual(t2);
        await touchApiKey(db, newId("key"), t2); // unknown key: nothing to do, no error
      });
    });

    describe("catalog", () => {
      it("inserts with defaults, then updates only the given fields", async () => {
        const id = `${newId("p")}/model-1`;
        const provider = id.split("/")[0] ?? "";
        const inserted = await upsertModel(db, { id, provider, contextLength: 128_000, inputPrice: 150_000, outputPrice: 600_000 });
        expect(inserted).toEqual({
          id,
          provider,
          upstreamModel: "model-1",
          contextLength: 128_000,
          inputPrice: 150_000,
          outputPrice: 600_000,
          free: false,
          enabled: true,
        });
        const updated = await upsertModel(db, { id, provider, outputPrice: 2 ** 40, free: true, contextLength: null });
        expect(updated).toEqual({ ...inserted, outputPrice: 2 ** 40, free: true, contextLength: null });
        expect(await getModel(db, id)).toEqual(updated);
        const renamed = await upsertModel(db, { id, provider, upstreamModel: "model-1-2025" });
        expect(renamed).toEqual({ ...updated, upstreamModel: "model-1-2025" });
      });

      it("keeps an id without its provider's prefix as the upstream model", async () => {
        const id = newId("bare");
        expect((await upsertModel(db, { id, provider: "openai" })).upstreamModel).toBe(id);
        expect(await getModel(db, id)).toMatchObject({ inputPrice: null, outputPrice: null, contextLength: null });
      });

      it("lists enabled models by id and still gets a disabled one", async () => {
        const provider = newId("p");
        await upsertModel(db, { id: `${provider}/b`, provider });
        await upsertModel(db, { id: `${provider}/a`, provider });
        await upsertModel(db, { id: `${provider}/c`, provider, enabled: false });
        const mine = (await listEnabledModels(db)).filter((m) => m.provider === provider);
        expect(mine.map((m) => m.id)).toEqual([`${provider}/a`, `${provider}/b`]);
        expect(await getModel(db, `${provider}/c`)).toMatchObject({ enabled: false });
        expect(await getModel(db, `${provider}/none`)).toBeUndefined();
      });

      it("refuses negative prices and a zero context length", async () => {
        expect(await failure(upsertModel(db, { id: newId("m"), provider: "x", inputPrice: -1 }))).toBe(CHECK_VIOLATION);
        expect(await failure(upsertModel(db, { id: newId("m"), provider: "x", contextLength: 0 }))).toBe(CHECK_VIOLATION);
        const id = newId("m");
        await db.insert(catalogModels).values({ id, provider: "x", upstreamModel: "m" });
        expect(await failure(db.insert(catalogModels).values({ id, provider: "x", upstreamModel: "m" }))).toBe(UNIQUE_VIOLATION);
      });
    });

    describe("usage ledger", () => {
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

    describe("foreign keys", () => {
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
  });
}
