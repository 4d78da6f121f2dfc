// The named-route repository (and the checked layer over it, routing/route-store.ts) on every
// driver the core runs on: PGlite (Node default), neon-http (the edge, through the Neon
// stand-in) and node-postgres (when PostgreSQL is up).
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RouteDefinition } from "../../../src/routing/route-definition.ts";
import { changeRoute, everyRoute, findOperatorRoute, findOwnedRoute, operatorRoutes, ownedRoutes, removeRoute, saveRoute, type StoredRoute } from "../../../src/routing/route-store.ts";
import { sqlState, UNIQUE_VIOLATION } from "../../../src/store/pg-error.ts";
import { createOrg, deleteOrg } from "../../../src/store/repos/orgs.ts";
import { insertRouteRow, listOperatorRouteRows } from "../../../src/store/repos/routes.ts";
import { createUser, deleteUser } from "../../../src/store/repos/users.ts";
import { namedRoutes } from "../../../src/store/schema/index.ts";
import { serviceAvailable } from "../../support/services.ts";
import { acme, alice, bob, globex, neonDb, pgliteDb, postgresDb, seedOwners, type TestDb } from "../../support/owners.ts";

const pgUp = await serviceAvailable("postgres");
const drivers: [string, () => Promise<TestDb | undefined>][] = [
  ["pglite", pgliteDb],
  ["neon-http", neonDb],
  ["node-postgres", postgresDb],
];

const CHECK_VIOLATION = "23514";
const def = (...models: string[]): RouteDefinition => ({ strategy: "fallback", targets: models.map((model) => ({ model })) });
const failure = (p: Promise<unknown>) => p.then(() => "resolved", (err: unknown) => sqlState(err) ?? String(err));

describe.each(drivers)("route repositories on %s", (name, open) => {
  const skip = name === "node-postgres" && !pgUp;
  let t: TestDb;
  beforeAll(async () => {
    if (skip) return;
    const opened = await open();
    if (!opened) throw new Error(`${name} did not open`);
    t = opened;
    await seedOwners(t.db);
  });
  afterAll(async () => {
    await t?.close();
  });

  it.skipIf(skip)("saves, reads, changes and removes routes of users, organizations and the operator", async () => {
    const mine = await saveRoute(t.db, alice, "fast", { strategy: "weighted", targets: [{ model: "openai/a", weight: 2 }, { model: "groq/b", weight: 1 }], sticky: "user" });
    expect(mine).toMatchObject({ owner: alice, name: "fast", source: "api", definition: { strategy: "weighted", sticky: "user" } });
    expect(mine.id).toMatch(/^rte_[0-9a-f]{32}$/);
    expect(mine.createdAt).toBeInstanceOf(Date);
    const org = await saveRoute(t.db, acme, "fast", def("openai/c"));
    const op = await saveRoute(t.db, null, "openai/gpt-4o-mini", def("openai/gpt-4o-mini", "openrouter/openai/gpt-4o-mini"));
    expect(op.owner).toBeNull();

    // Precedence is the order of the owners given.
    expect((await findOwnedRoute(t.db, [alice, acme], "fast"))?.id).toBe(mine.id);
    expect((await findOwnedRoute(t.db, [acme, alice], "fast"))?.id).toBe(org.id);
    expect(await findOwnedRoute(t.db, [bob], "fast")).toBeUndefined();
    expect(await findOwnedRoute(t.db, [], "fast")).toBeUndefined();
    expect((await ownedRoutes(t.db, [acme, alice])).map((r) => r.id)).toEqual([org.id, mine.id]);
    // An owner's list never holds the operator's routes, and the reverse.
    expect((await ownedRoutes(t.db, [alice, bob, acme, globex])).map((r) => r.owner)).not.toContain(null);
    expect((await findOperatorRoute(t.db, [], "openai/gpt-4o-mini"))?.id).toBe(op.id);

    const changed = await changeRoute(t.db, alice, "fast", def("openai/z"));
    expect(changed?.definition).toEqual(def("openai/z"));
    expect(changed!.updatedAt!.getTime()).toBeGreaterThanOrEqual(mine.updatedAt!.getTime());
    expect(await changeRoute(t.db, bob, "fast", def("openai/stolen"))).toBeUndefined();
    expect(await changeRoute(t.db, null, "fast", def("openai/stolen"))).toBeUndefined();
    expect((await findOwnedRoute(t.db, [acme], "fast"))?.definition).toEqual(def("openai/c"));

    expect(await removeRoute(t.db, bob, "fast")).toBe(false);
    expect(await removeRoute(t.db, null, "fast")).toBe(false);
    for (const [owner, routeName] of [[alice, "fast"], [acme, "fast"], [null, "openai/gpt-4o-mini"]] as const) expect(await removeRoute(t.db, owner, routeName)).toBe(true);
    expect(await ownedRoutes(t.db, [alice, acme])).toEqual([]);
  });

  it.skipIf(skip)("keeps names unique per owner, among the operator's routes too", async () => {
    await saveRoute(t.db, alice, "dup", def("a/b"));
    expect(await failure(saveRoute(t.db, alice, "dup", def("a/c")))).toBe(UNIQUE_VIOLATION);
    await saveRoute(t.db, bob, "dup", def("a/b"));
    await saveRoute(t.db, acme, "dup", def("a/b"));
    expect(await failure(saveRoute(t.db, acme, "dup", def("a/c")))).toBe(UNIQUE_VIOLATION);
    await saveRoute(t.db, null, "dup", def("a/b"));
    expect(await failure(saveRoute(t.db, null, "dup", def("a/c")))).toBe(UNIQUE_VIOLATION);
    for (const owner of [alice, bob, acme, null]) expect(await removeRoute(t.db, owner, "dup")).toBe(true);
  });

  it.skipIf(skip)("refuses a row with two owners", async () => {
    const row = { id: "rte_two_owners", ownerUserId: alice.id, ownerOrgId: acme.id, name: "two", definition: def("a/b") };
    expect(await failure(t.db.insert(namedRoutes).values(row))).toBe(CHECK_VIOLATION);
  });

  it.skipIf(skip)("checks definitions on the way in and on the way out", async () => {
    await expect(saveRoute(t.db, alice, "bad", { strategy: "weighted", targets: [{ model: "a/b" }] })).rejects.toThrow("weight");
    // A row written around the checks (by hand, by older rules) fails loudly when read.
    const row = await insertRouteRow(t.db, { owner: bob, name: "odd", definition: { strategy: "fastest", targets: [] } });
    await expect(findOwnedRoute(t.db, [bob], "odd")).rejects.toThrow(`route ${row.id} has a malformed definition`);
    await t.db.delete(namedRoutes).where(eq(namedRoutes.id, row.id));
  });

  it.skipIf(skip)("merges GATEWAY_ROUTES under the operator's saved routes", async () => {
    const config: StoredRoute[] = ["cfg-only", "both"].map((n) => ({ id: `config:${n}`, owner: null, name: n, definition: def("a/config"), source: "config", createdAt: null, updatedAt: null }));
    const saved = await saveRoute(t.db, null, "both", def("a/saved"));
    expect((await operatorRoutes(t.db, config)).map((r) => [r.name, r.source])).toEqual([
      ["both", "api"],
      ["cfg-only", "config"],
    ]);
    expect((await findOperatorRoute(t.db, config, "both"))?.id).toBe(saved.id);
    expect((await findOperatorRoute(t.db, config, "cfg-only"))?.source).toBe("config");
    const mine = await saveRoute(t.db, alice, "every", def("a/b"));
    const every = await everyRoute(t.db, config);
    expect(every.map((r) => r.id)).toEqual(expect.arrayContaining([mine.id, saved.id, "config:cfg-only"]));
    expect(every.map((r) => r.id)).not.toContain("config:both");
    await removeRoute(t.db, null, "both");
    await removeRoute(t.db, alice, "every");
  });

  it.skipIf(skip)("deletes an owner's routes with the owner, and only theirs", async () => {
    await createUser(t.db, { id: "u-leaving" });
    await createOrg(t.db, { id: "org-leaving", name: "Leaving" });
    await saveRoute(t.db, { type: "user", id: "u-leaving" }, "gone", def("a/b"));
    await saveRoute(t.db, { type: "org", id: "org-leaving" }, "gone", def("a/b"));
    const kept = await saveRoute(t.db, null, "kept", def("a/b"));
    await deleteUser(t.db, "u-leaving");
    await deleteOrg(t.db, "org-leaving");
    expect(await ownedRoutes(t.db, [{ type: "user", id: "u-leaving" }, { type: "org", id: "org-leaving" }])).toEqual([]);
    expect((await listOperatorRouteRows(t.db)).map((r) => r.id)).toContain(kept.id);
    await removeRoute(t.db, null, "kept");
  });
});
