// The RouteBook on PGlite: which route a scope's requests find, operator aliases, what /v1/models
// lists, and the per-isolate cache (answers, empty ones included, kept for the TTL; a local
// write's event drops them at once).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { OwnerScope } from "../../../src/access/owners.ts";
import type { RouteDefinition } from "../../../src/routing/route-definition.ts";
import { RouteBook } from "../../../src/routing/route-book.ts";
import { removeRoute, saveRoute, type StoredRoute } from "../../../src/routing/route-store.ts";
import { deleteMember, orgsOfUser, putMember } from "../../../src/store/repos/orgs.ts";
import { namedRoutes } from "../../../src/store/schema/index.ts";
import { acme, alice, bob, pgliteDb, seedOwners } from "../../support/owners.ts";

const def = (...models: string[]): RouteDefinition => ({ strategy: "fallback", targets: models.map((model) => ({ model })) });
const TTL = 30_000;
const asAlice: OwnerScope = { kind: "user", userId: alice.id };
const asBob: OwnerScope = { kind: "user", userId: bob.id };
const asAcme: OwnerScope = { kind: "org", orgId: acme.id };
const config: StoredRoute[] = [
  { id: "config:shared", owner: null, name: "shared", definition: def("config/shared"), source: "config", createdAt: null, updatedAt: null },
  { id: "config:groq/llama-3", owner: null, name: "groq/llama-3", definition: def("groq/llama-3", "together/llama-3"), source: "config", createdAt: null, updatedAt: null },
];

let t: Awaited<ReturnType<typeof pgliteDb>>;
let clock = 0;
let book: RouteBook;

beforeAll(async () => {
  t = await pgliteDb();
  await seedOwners(t.db);
});
afterAll(async () => {
  await t.close();
});
beforeEach(async () => {
  await t.db.delete(namedRoutes);
  clock = 1_000_000;
  book = new RouteBook({ db: t.db, orgsOf: async (userId) => (await orgsOfUser(t.db, userId)).map((o) => o.orgId), config, ttlMs: TTL, now: () => clock });
});

const modelOf = async (scope: OwnerScope, name: string) => (await book.find(scope, name))?.definition.targets[0]?.model;

describe("RouteBook", () => {
  it("finds a name as the scope's requests would: the acting org, else the user, their orgs, then the operator", async () => {
    await saveRoute(t.db, alice, "x", def("alice/x"));
    await saveRoute(t.db, acme, "x", def("acme/x"));
    await saveRoute(t.db, acme, "y", def("acme/y"));
    await saveRoute(t.db, null, "y", def("operator/y"));
    await saveRoute(t.db, null, "z", def("operator/z"));

    expect(await modelOf(asAlice, "x")).toBe("alice/x");
    expect(await modelOf(asAlice, "route/x")).toBe("alice/x");
    expect(await modelOf(asBob, "x")).toBe("acme/x");
    expect(await modelOf(asAcme, "x")).toBe("acme/x");
    expect(await modelOf(asAlice, "y")).toBe("acme/y");
    expect(await modelOf(asAlice, "z")).toBe("operator/z");
    expect(await modelOf(asAlice, "shared")).toBe("config/shared");
    expect(await book.find(asAlice, "nowhere")).toBeUndefined();
    // Aliases are model ids, never route/<name>.
    expect(await book.find(asAlice, "groq/llama-3")).toBeUndefined();
  });

  it("answers operator aliases, saved ones over GATEWAY_ROUTES ones", async () => {
    expect((await book.alias("groq/llama-3"))?.id).toBe("config:groq/llama-3");
    expect(await book.alias("openai/gpt-4o-mini")).toBeUndefined();
    await saveRoute(t.db, null, "groq/llama-3", def("groq/llama-3"));
    book.forget(null);
    expect((await book.alias("groq/llama-3"))?.id).toMatch(/^rte_/);
  });

  it("lists each name a scope can use once, as find() answers it, then the aliases", async () => {
    await saveRoute(t.db, alice, "shared", def("alice/shared"));
    await saveRoute(t.db, acme, "team", def("acme/team"));
    const listed = await book.listFor(asAlice);
    expect(listed.map((r) => [r.name, r.owner])).toEqual([
      ["shared", alice],
      ["team", acme],
      ["groq/llama-3", null],
    ]);
    expect((await book.listFor(asAcme)).map((r) => r.name)).toEqual(["team", "shared", "groq/llama-3"]);
  });

  it("keeps answers, found or not, for the TTL; an event for the owner drops them at once", async () => {
    expect(await book.find(asAlice, "later")).toBeUndefined();
    expect(await book.alias("openai/later")).toBeUndefined();
    await saveRoute(t.db, alice, "later", def("alice/later"));
    await saveRoute(t.db, null, "openai/later", def("openai/later"));
    // Written elsewhere: this isolate keeps its answers until they expire.
    expect(await book.find(asAlice, "later")).toBeUndefined();
    expect(await book.alias("openai/later")).toBeUndefined();
    clock += TTL + 1;
    expect(await modelOf(asAlice, "later")).toBe("alice/later");
    expect((await book.alias("openai/later"))?.name).toBe("openai/later");

    // Written here: routesChanged(owner) -> forget(owner).
    await removeRoute(t.db, alice, "later");
    expect(await modelOf(asAlice, "later")).toBe("alice/later");
    book.forget(alice);
    expect(await book.find(asAlice, "later")).toBeUndefined();
    await removeRoute(t.db, null, "openai/later");
    book.forget(null);
    expect(await book.alias("openai/later")).toBeUndefined();
  });

  it("drops a user's routes when they join or leave an organization", async () => {
    await saveRoute(t.db, acme, "team", def("acme/team"));
    expect(await modelOf(asAlice, "team")).toBe("acme/team");
    await deleteMember(t.db, acme.id, alice.id);
    book.forgetUser(alice.id);
    expect(await book.find(asAlice, "team")).toBeUndefined();
    await putMember(t.db, acme.id, alice.id, "owner");
    book.forgetUser(alice.id);
    expect(await modelOf(asAlice, "team")).toBe("acme/team");
  });
});
