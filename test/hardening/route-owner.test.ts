// Who may save, see and change named routes, over HTTP: POST /v1/routes decides `owner` exactly
// as POST /v1/upstreams does, and /v1/routes/{name} acts on the route the caller's requests find
// (the acting organization, else the user and their organizations, then the operator), changing
// it only with write access on its owner. Every write case compares every owner's routes before
// and after: a refusal leaves them all unchanged; a success changes exactly the one it names.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN } from "../conformance/suite.ts";
import { requester, ROLES, seedOwners, USERS, type CallerName, type Requester } from "../support/owner-world.ts";
import { startNode, type NodeGateway } from "../support/runtimes/node.ts";

type OwnerRef = undefined | { type: "user"; id?: string } | { type: "org"; id: string };
type Outcome = { saved: string } | { status: number; code: string | readonly string[] };
interface Listed {
  name: string;
  owner: { type: string; id: string } | null;
  targets: { model: string }[];
  updated_at: string | null;
}

const OWNERS = [...USERS.map((u) => `user:${u}`), "org:acme", "org:beta"] as const;
/** Who lists an organization's routes (an admin). */
const ORG_ADMIN: Record<string, CallerName> = { acme: "alice", beta: "carol" };
/** Who lists (and recreates) an owner's routes: the user, or an admin of the organization. */
function actorFor(type: string, id: string): CallerName {
  const actor = type === "user" ? USERS.find((u) => u === id) : ORG_ADMIN[id];
  if (actor === undefined) throw new Error(`nobody acts for ${type} ${id}`);
  return actor;
}
const roleOf = (org: string, caller: CallerName) => (caller === "acme-key" ? undefined : ROLES[org]?.[caller]);

/** The rule of POST /v1/upstreams (src/access/owners.ts requestedOwner + authorize). */
function expectedSave(caller: CallerName, org: string | null, owner: OwnerRef): Outcome {
  if (caller === "acme-key") return { status: 403, code: ["not_org_admin", "not_org_member"] };
  if (org !== null && roleOf(org, caller) === undefined) return { status: 403, code: "not_org_member" };
  const target = owner ?? (org === null ? { type: "user" as const } : { type: "org" as const, id: org });
  if (target.type === "user") {
    if (target.id !== undefined && target.id !== caller) return { status: 403, code: "owner_not_allowed" };
    return { saved: `user:${caller}` };
  }
  const role = roleOf(target.id, caller);
  if (role === undefined) return { status: 403, code: "not_org_member" };
  if (role === "member") return { status: 403, code: "not_org_admin" };
  return { saved: `org:${target.id}` };
}

/** The routes a request finds, in order, before the operator's (ownersInScope of the acting scope). */
function scopeOwners(caller: CallerName, org: string | null): string[] {
  if (caller === "acme-key") return ["org:acme"];
  if (org !== null) return [`org:${org}`];
  return [`user:${caller}`, ...Object.keys(ROLES).filter((o) => roleOf(o, caller) !== undefined).map((o) => `org:${o}`)];
}

/** GET, PATCH or DELETE /v1/routes/{name} of a route owned by `routeOwner` (one name per owner). */
function expectedUse(caller: CallerName, org: string | null, routeOwner: string, access: "read" | "write"): Outcome {
  if (caller !== "acme-key" && org !== null && roleOf(org, caller) === undefined) return { status: 403, code: "not_org_member" };
  if (routeOwner === "operator") return access === "read" ? { saved: "" } : { status: 403, code: "route_read_only" };
  if (!scopeOwners(caller, org).includes(routeOwner)) return { status: 404, code: "named_route_not_found" };
  if (access === "read" || routeOwner.startsWith("user:")) return { saved: routeOwner };
  const orgId = routeOwner.slice("org:".length);
  if (caller === "acme-key" || roleOf(orgId, caller) === "member") return { status: 403, code: "not_org_admin" };
  return { saved: routeOwner };
}

describe("named routes: owners and access", () => {
  let gw: NodeGateway;
  let req: Requester;
  const keys: Record<string, string> = {};
  let serial = 0;

  beforeAll(async () => {
    gw = await startNode({ GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN });
    req = requester(gw.url, ADMIN_TOKEN, keys);
    await seedOwners(req, keys);
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
  });

  /** One owner's routes as fingerprints (its own only: users also see their organizations'). */
  async function routesOf(owner: string): Promise<string[]> {
    const [type, id = ""] = owner.split(":");
    const res = await req("/v1/routes", { as: actorFor(type ?? "", id) });
    expect(res.status, `routes of ${owner}`).toBe(200);
    const { data } = (await res.json()) as { data: Listed[] };
    return data
      .filter((r) => r.owner !== null && r.owner.type === type && r.owner.id === id)
      .map((r) => `${r.name}:${r.targets.map((t) => t.model).join(",")}@${r.updated_at ?? ""}`)
      .sort();
  }
  const snapshot = async () => Object.fromEntries(await Promise.all(OWNERS.map(async (o) => [o, await routesOf(o)] as const)));

  /** Runs a write and holds every owner's routes to its outcome; `marker` shows in the changed route. */
  async function checkWrite(write: () => Promise<Response>, want: Outcome, okStatus: number, marker: string | null) {
    const before = await snapshot();
    const res = await write();
    const answer = res.status === 204 ? {} : ((await res.json()) as { error?: { code: string } });
    const after = await snapshot();
    const changed = OWNERS.filter((o) => JSON.stringify(after[o]) !== JSON.stringify(before[o]));
    if ("status" in want) {
      expect(res.status, JSON.stringify(answer)).toBe(want.status);
      expect(typeof want.code === "string" ? [want.code] : want.code).toContain(answer.error?.code);
      expect(changed).toEqual([]);
      return;
    }
    expect(res.status, JSON.stringify(answer)).toBe(okStatus);
    expect(changed).toEqual([want.saved]);
    if (marker !== null) expect(after[want.saved]?.some((r) => r.includes(marker))).toBe(true);
  }

  describe("POST /v1/routes: the owner decided as for upstreams", () => {
    const ownerRefs = (caller: CallerName): OwnerRef[] => [
      undefined,
      { type: "user" },
      { type: "user", id: caller === "acme-key" ? "alice" : caller },
      { type: "user", id: caller === "dave" ? "alice" : "dave" },
      { type: "org", id: "acme" },
      { type: "org", id: "beta" },
    ];
    const cases: [CallerName, string | null, OwnerRef][] = [];
    for (const caller of USERS) {
      for (const owner of ownerRefs(caller)) cases.push([caller, null, owner]);
      const acting = roleOf("acme", caller) === undefined ? ownerRefs(caller).filter((o) => o === undefined || o.type === "org") : ownerRefs(caller);
      for (const owner of acting) cases.push([caller, "acme", owner]);
    }
    for (const owner of ownerRefs("acme-key")) cases.push(["acme-key", null, owner]);

    it.each(cases)("caller %s, x-gateway-org %s, owner %j", async (caller, org, owner) => {
      const marker = `m${(serial++).toString(36).padStart(3, "0")}`;
      const body = { ...(owner === undefined ? {} : { owner }), name: marker, strategy: "fallback", targets: [{ model: `openai/${marker}` }] };
      await checkWrite(() => req("/v1/routes", { as: caller, org, body }), expectedSave(caller, org, owner), 201, marker);
    });
  });

  describe("/v1/routes/{name}: the route the caller's requests find", () => {
    // One route per owner, each its own name, and one of the operator's.
    const ROUTES: Record<string, string> = { "user:alice": "ua", "org:acme": "oa", "org:beta": "ob", operator: "op" };
    beforeAll(async () => {
      const create = (as: CallerName, org: string | null, name: string) => req("/v1/routes", { as, org, body: { name, strategy: "fallback", targets: [{ model: "openai/start" }] } });
      expect((await create("alice", null, "ua")).status).toBe(201);
      expect((await create("alice", "acme", "oa")).status).toBe(201);
      expect((await create("carol", "beta", "ob")).status).toBe(201);
      expect((await req("/admin/routes", { body: { name: "op", strategy: "fallback", targets: [{ model: "openai/start" }] } })).status).toBe(201);
    });

    const cases: [CallerName, string | null, string][] = [];
    for (const routeOwner of Object.keys(ROUTES)) {
      for (const caller of USERS) for (const org of [null, "acme", "beta"]) cases.push([caller, org, routeOwner]);
      cases.push(["acme-key", null, routeOwner]);
    }

    it.each(cases)("GET as %s, x-gateway-org %s, a route of %s", async (caller, org, routeOwner) => {
      const res = await req(`/v1/routes/${ROUTES[routeOwner]}`, { as: caller, org });
      const answer = (await res.json()) as { owner?: unknown; error?: { code: string } };
      const want = expectedUse(caller, org, routeOwner, "read");
      if ("status" in want) {
        expect(res.status, JSON.stringify(answer)).toBe(want.status);
        expect(answer.error?.code).toBe(want.code);
      } else {
        expect(res.status, JSON.stringify(answer)).toBe(200);
        const [type, id] = routeOwner.split(":");
        expect(answer.owner).toEqual(routeOwner === "operator" ? null : { type, id });
      }
    });

    it.each(cases)("PATCH as %s, x-gateway-org %s, a route of %s", async (caller, org, routeOwner) => {
      const marker = `p${(serial++).toString(36).padStart(3, "0")}`;
      const body = { targets: [{ model: `openai/${marker}` }] };
      await checkWrite(() => req(`/v1/routes/${ROUTES[routeOwner]}`, { method: "PATCH", as: caller, org, body }), expectedUse(caller, org, routeOwner, "write"), 200, marker);
    });

    it.each(cases)("DELETE as %s, x-gateway-org %s, a route of %s", async (caller, org, routeOwner) => {
      const name = ROUTES[routeOwner] ?? "";
      const want = expectedUse(caller, org, routeOwner, "write");
      await checkWrite(() => req(`/v1/routes/${name}`, { method: "DELETE", as: caller, org }), want, 204, null);
      if ("status" in want) return;
      // Put it back for the next case, as its owner (or an admin of it).
      const [type, id = ""] = routeOwner.split(":");
      const recreated = await req("/v1/routes", {
        as: actorFor(type ?? "", id),
        body: { owner: type === "user" ? { type: "user" } : { type: "org", id }, name, strategy: "fallback", targets: [{ model: "openai/start" }] },
      });
      expect(recreated.status).toBe(201);
    });
  });
});
