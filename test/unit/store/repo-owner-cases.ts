// Users and organizations, run on every driver by repo-cases.ts: rows and JS types read back,
// taken ids and emails (23505), memberships and their keys (23503, 23514), validated settings,
// and what deleting an organization takes with it.
import { eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../../src/store/db.ts";
import { newId } from "../../../src/store/ids.ts";
import { createApiKey } from "../../../src/auth/api-keys.ts";
import { addCredit } from "../../../src/store/repos/credit.ts";
import { recordUsage } from "../../../src/store/repos/ledger.ts";
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
import { apiKeys, organizations, orgMemberships, usageLedger } from "../../../src/store/schema/index.ts";
import { FOREIGN_KEY_VIOLATION, UNIQUE_VIOLATION } from "../../../src/store/pg-error.ts";
import { CHECK_VIOLATION, failure, orgOwner, repoHelpers, usage, type RepoContext } from "./repo-fixtures.ts";

export function ownerCases(ctx: RepoContext): void {
  describe("users", () => {
    let db: Db;
    beforeAll(() => {
      db = ctx.db;
    });
    const { newUser } = repoHelpers(ctx);

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
    let db: Db;
    beforeAll(() => {
      db = ctx.db;
    });
    const { newUser, newOrg } = repoHelpers(ctx);

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
}
