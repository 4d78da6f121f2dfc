// API keys, run on every driver by repo-cases.ts: only the hash is stored, exactly one owner,
// listing without hashes, revoking once and touching last_used_at forward only.
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../../src/auth/hash-key.ts";
import type { Db } from "../../../src/store/db.ts";
import { newId } from "../../../src/store/ids.ts";
import { createApiKey, DISPLAY_PREFIX_LENGTH } from "../../../src/auth/api-keys.ts";
import { findApiKeyByHash, listApiKeys, revokeApiKey, touchApiKey } from "../../../src/store/repos/api-keys.ts";
import { apiKeys } from "../../../src/store/schema/index.ts";
import { FOREIGN_KEY_VIOLATION, UNIQUE_VIOLATION } from "../../../src/store/pg-error.ts";
import { CHECK_VIOLATION, failure, orgOwner, repoHelpers, userOwner, type RepoContext } from "./repo-fixtures.ts";

export function apiKeyCases(ctx: RepoContext): void {
  describe("api keys", () => {
    let db: Db;
    beforeAll(() => {
      db = ctx.db;
    });
    const { newUser, newOrg, rowsOf } = repoHelpers(ctx);

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
      for (const name of ["a", "b", "c"]) {
        ids.push((await createApiKey(db, { owner, name })).id);
        // Keys made within one clock tick (PGlite's clock is coarse) are equally new: keep them apart.
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
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
}
