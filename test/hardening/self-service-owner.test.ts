// `owner` in self-service bodies: PUT /v1/byok-keys/{provider} and POST /v1/api-keys decide it
// exactly as POST /v1/upstreams does (an organization's only by its admins and owners, a user's
// only by that user), and nothing is ever saved other than what was asked. Every case compares
// every owner's lists before and after: a refusal leaves them all unchanged; a success changes
// exactly the one list it names. Unknown fields anywhere in these bodies are refused by name.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN } from "../conformance/suite.ts";
import { startMockLlm, type MockLlm } from "../support/mock-llm/index.ts";
import { startNode, type NodeGateway } from "../support/runtimes/node.ts";

const ENCRYPTION_KEYS = "c1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/** Upstreams saved here are never called: a trusted address nothing listens on will do. */
const UNUSED_BASE_URL = "http://127.0.0.1:9/v1";
type Kind = "upstreams" | "byok" | "api-keys";
const KINDS: readonly Kind[] = ["upstreams", "byok", "api-keys"];
/** Who may be asked to own something: each user, and the two organizations. */
const USERS = ["alice", "olga", "bob", "carol", "dave"] as const;
type UserId = (typeof USERS)[number];
const OWNERS = [...USERS.map((u) => `user:${u}`), "org:acme", "org:beta"] as const;
// acme: olga owner, alice admin, bob member. beta: carol admin. dave belongs nowhere.
const ROLES: Record<string, Partial<Record<UserId, "owner" | "admin" | "member">>> = {
  acme: { olga: "owner", alice: "admin", bob: "member" },
  beta: { carol: "admin" },
};
/** Who lists an organization's keys (an admin acting for it). */
const ORG_ADMIN: Record<string, UserId> = { acme: "alice", beta: "carol" };

type CallerName = UserId | "acme-key";
type OwnerRef = undefined | { type: "user"; id?: string } | { type: "org"; id: string };
type Outcome = { saved: string } | { status: number; code: string | readonly string[] };

/**
 * The rule of /v1/upstreams (src/upstreams/routes/access.ts): no owner = the acting owner
 * (x-gateway-org's organization, else the user); a user only themselves; an organization only
 * its admins and owners; an organization key never writes.
 */
function expected(caller: CallerName, org: string | null, owner: OwnerRef): Outcome {
  if (caller === "acme-key") {
    // Its organization's resources: not an admin; another organization's: not a member.
    return { status: 403, code: ["not_org_admin", "not_org_member"] };
  }
  if (org !== null && ROLES[org]?.[caller] === undefined) return { status: 403, code: "not_org_member" };
  const target = owner === undefined ? (org === null ? { type: "user" as const } : { type: "org" as const, id: org }) : owner;
  if (target.type === "user") {
    if (target.id !== undefined && target.id !== caller) return { status: 403, code: "owner_not_allowed" };
    return { saved: `user:${caller}` };
  }
  const role = ROLES[target.id]?.[caller];
  if (role === undefined) return { status: 403, code: "not_org_member" };
  if (role === "member") return { status: 403, code: "not_org_admin" };
  return { saved: `org:${target.id}` };
}

describe("owner in self-service bodies", () => {
  let mock: MockLlm;
  let gw: NodeGateway;
  const keys: Record<string, string> = {};
  let serial = 0;

  const req = (path: string, init: { method?: string; key?: string; org?: string | null; body?: unknown } = {}) =>
    fetch(`${gw.url}${path}`, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers: {
        authorization: `Bearer ${init.key ?? ADMIN_TOKEN}`,
        "content-type": "application/json",
        ...(init.org ? { "x-gateway-org": init.org } : {}),
      },
      ...(init.body === undefined ? {} : { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) }),
    });

  beforeAll(async () => {
    mock = await startMockLlm();
    gw = await startNode({
      OPENAI_API_KEY: "sk-operator-owner-test-000000",
      OPENAI_BASE_URL: mock.baseUrl,
      GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN,
      GATEWAY_ENCRYPTION_KEYS: ENCRYPTION_KEYS,
      GATEWAY_TRUSTED_UPSTREAM_HOSTS: "127.0.0.1",
    });
    for (const user of USERS) {
      expect((await req("/admin/users", { body: { id: user } })).status).toBe(201);
      const created = await req("/admin/api-keys", { body: { owner: { type: "user", id: user } } });
      keys[user] = ((await created.json()) as { key: string }).key;
    }
    for (const [org, members] of Object.entries(ROLES)) {
      expect((await req("/admin/orgs", { body: { id: org, name: org } })).status).toBe(201);
      for (const [user, role] of Object.entries(members)) expect((await req(`/admin/orgs/${org}/members/${user}`, { method: "PUT", body: { role } })).status).toBe(200);
    }
    const orgKey = await req("/admin/api-keys", { body: { owner: { type: "org", id: "acme" } } });
    keys["acme-key"] = ((await orgKey.json()) as { key: string }).key;
    expect((await req("/admin/models", { body: { id: "openai/mock-model", provider: "openai", input_price: 0.15, output_price: 0.6 } })).status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await mock?.close();
  });

  /** One owner's list of one kind, as stable fingerprints (never last_used_at, which every call moves). */
  async function listOf(kind: Kind, owner: string): Promise<string[]> {
    const [type, id = ""] = owner.split(":");
    const asUser = type === "user" ? id : ORG_ADMIN[id]!;
    const res = await req(kind === "byok" ? "/v1/byok-keys" : `/v1/${kind}`, { key: keys[asUser], org: type === "org" ? id : null });
    expect(res.status, `${kind} of ${owner}`).toBe(200);
    const { data } = (await res.json()) as { data: Record<string, unknown>[] };
    if (kind === "upstreams") {
      // Users see their organizations' upstreams too: keep the ones this owner owns.
      return data.filter((u) => JSON.stringify(u.owner) === JSON.stringify({ type, id })).map((u) => `${String(u.provider_id)}@${String(u.updated_at)}`).sort();
    }
    if (kind === "byok") return data.map((k) => `${String(k.provider)}:${String(k.api_key_hint)}@${String(k.updated_at)}`).sort();
    return data.map((k) => `${String(k.name)}:${String(k.id)}:${String(k.revoked_at)}`).sort();
  }

  /** Every owner's lists (of the given kinds: a route writes one kind, so the matrix checks that one). */
  async function snapshot(kinds: readonly Kind[] = KINDS): Promise<Record<string, string[]>> {
    const entries = await Promise.all(kinds.flatMap((kind) => OWNERS.map(async (owner) => [`${kind} ${owner}`, await listOf(kind, owner)] as const)));
    return Object.fromEntries(entries);
  }

  /** A body for `kind` carrying `marker`, which then shows in the owner's list (hint = last 4 characters). */
  function bodyFor(kind: Kind, marker: string, owner: OwnerRef): Record<string, unknown> {
    const ownerField = owner === undefined ? {} : { owner };
    if (kind === "upstreams") return { ...ownerField, provider_id: marker, display_name: marker, base_url: UNUSED_BASE_URL, api_key: `sk-up-00000000${marker}` };
    if (kind === "byok") return { ...ownerField, api_key: `sk-byok-00000000${marker}` };
    return { ...ownerField, name: marker };
  }

  // groq (not enabled here): an organization's own OpenAI key would let its calls skip credit below.
  const pathFor = (kind: Kind) => (kind === "upstreams" ? "/v1/upstreams" : kind === "byok" ? "/v1/byok-keys/groq" : "/v1/api-keys");
  const send = (kind: Kind, caller: CallerName, org: string | null, body: unknown) =>
    req(pathFor(kind), { method: kind === "byok" ? "PUT" : "POST", key: keys[caller], org, body });

  /** The lists of each kind as the last check left them: each check compares against them, then replaces them. */
  const last = new Map<Kind, Record<string, string[]>>();

  /** Runs one request and checks its outcome against every owner's list of that kind. */
  async function check(kind: Kind, caller: CallerName, org: string | null, body: unknown, want: Outcome, marker: string) {
    const before = last.get(kind) ?? (await snapshot([kind]));
    const res = await send(kind, caller, org, body);
    const answer = (await res.json()) as { error?: { code: string; message: string; param: string | null } };
    const after = await snapshot([kind]);
    last.set(kind, after);
    const changed = Object.keys(after).filter((k) => JSON.stringify(after[k]) !== JSON.stringify(before[k]));
    if ("status" in want) {
      expect(res.status, JSON.stringify(answer)).toBe(want.status);
      expect(typeof want.code === "string" ? [want.code] : want.code).toContain(answer.error?.code);
      // Nothing saved anywhere.
      expect(changed).toEqual([]);
      return;
    }
    expect(res.status, JSON.stringify(answer)).toBe(kind === "byok" ? 200 : 201);
    // Saved as the owner asked for, and nowhere else.
    expect(changed).toEqual([`${kind} ${want.saved}`]);
    expect(after[`${kind} ${want.saved}`]!.some((entry) => entry.includes(marker))).toBe(true);
  }

  const cases: [CallerName, string | null, OwnerRef][] = [];
  const ownerRefs = (caller: CallerName): OwnerRef[] => [
    undefined,
    { type: "user" },
    { type: "user", id: caller === "acme-key" ? "alice" : caller },
    { type: "user", id: caller === "dave" ? "alice" : "dave" },
    { type: "org", id: "acme" },
    { type: "org", id: "beta" },
  ];
  for (const caller of ["alice", "olga", "bob", "carol", "dave"] as const) {
    for (const owner of ownerRefs(caller)) cases.push([caller, null, owner]);
    // Acting for acme: its members each way; outsiders are refused before any owner is read.
    const acting = ROLES.acme?.[caller] === undefined ? ownerRefs(caller).filter((o) => o === undefined || o.type === "org") : ownerRefs(caller);
    for (const owner of acting) cases.push([caller, "acme", owner]);
  }
  for (const owner of ownerRefs("acme-key")) cases.push(["acme-key", null, owner]);

  describe.each(KINDS)("%s: the same decision as POST /v1/upstreams", (kind) => {
    it.each(cases)("caller %s, x-gateway-org %s, owner %j", async (caller, org, owner) => {
      const marker = `m${(serial++).toString(36).padStart(3, "0")}`;
      await check(kind, caller, org, bodyFor(kind, marker, owner), expected(caller, org, owner), marker);
    });
  });

  it("an organization's key saved by its admin acts for the organization: its credit, its usage", async () => {
    const created = await req("/v1/api-keys", { key: keys.alice, body: { owner: { type: "org", id: "acme" }, name: "acme-ci" } });
    expect(created.status).toBe(201);
    const { id, key } = (await created.json()) as { id: string; key: string };
    // Listed as acme's, not alice's.
    expect((await listOf("api-keys", "org:acme")).some((e) => e.includes(id))).toBe(true);
    expect((await listOf("api-keys", "user:alice")).some((e) => e.includes(id))).toBe(false);

    // alice has credit, acme none: a call with the new key is acme's, so it is refused for credit.
    expect((await req("/admin/credits", { body: { owner: { type: "user", id: "alice" }, amount_microdollars: 1_000_000_000 } })).status).toBe(200);
    const chat = () => req("/v1/chat/completions", { key, body: { model: "openai/mock-model", messages: [{ role: "user", content: "Hello" }] } });
    const refused = await chat();
    expect(refused.status).toBe(402);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("insufficient_credits");

    expect((await req("/admin/credits", { body: { owner: { type: "org", id: "acme" }, amount_microdollars: 1_000_000 } })).status).toBe(200);
    expect((await chat()).status).toBe(200);
    await gw.drain();
    const usage = (await (await req("/v1/usage", { key })).json()) as { owner: unknown; balance_microdollars: number; total: { requests: number; cost_microdollars: number } };
    expect(usage.owner).toEqual({ type: "org", id: "acme" });
    expect(usage.total.requests).toBe(1);
    expect(usage.total.cost_microdollars).toBeGreaterThan(0);
    expect(usage.balance_microdollars).toBe(1_000_000 - usage.total.cost_microdollars);
    const alices = (await (await req("/v1/usage", { key: keys.alice })).json()) as { balance_microdollars: number; total: { requests: number } };
    expect(alices).toMatchObject({ balance_microdollars: 1_000_000_000, total: { requests: 0 } });

    // It cannot mint keys or set provider keys, for its organization or anyone.
    for (const body of [{}, { owner: { type: "org", id: "acme" } }]) {
      const before = await snapshot();
      for (const [kind, res] of [
        ["api-keys", await req("/v1/api-keys", { key, body })],
        ["byok", await req("/v1/byok-keys/openai", { method: "PUT", key, body: { ...body, api_key: "sk-from-org-key-0000" } })],
      ] as const) {
        expect(res.status, kind).toBe(403);
        expect(((await res.json()) as { error: { code: string } }).error.code, kind).toBe("not_org_admin");
      }
      expect(await snapshot()).toEqual(before);
    }
  });

  describe("unknown fields anywhere are refused, naming the field", () => {
    let upstreamId = "";
    beforeAll(async () => {
      const res = await req("/v1/upstreams", { key: keys.dave, body: bodyFor("upstreams", "strict", undefined) });
      expect(res.status).toBe(201);
      upstreamId = ((await res.json()) as { id: string }).id;
    });

    const up = (extra: Record<string, unknown>) => ({ ...bodyFor("upstreams", "strict2", undefined), ...extra });
    const bodies: [string, string, string, string, Record<string, unknown>][] = [
      ["PUT", "/v1/byok-keys/openai", "top level", "ownr", { api_key: "sk-strict-00000000", ownr: { type: "org", id: "acme" } }],
      ["PUT", "/v1/byok-keys/openai", "top level", "extra", { api_key: "sk-strict-00000000", extra: true }],
      ["PUT", "/v1/byok-keys/openai", "in owner", "extra", { api_key: "sk-strict-00000000", owner: { type: "user", extra: 1 } }],
      ["POST", "/v1/api-keys", "top level", "ownr", { name: "strict", ownr: { type: "user" } }],
      ["POST", "/v1/api-keys", "in owner", "extra", { name: "strict", owner: { type: "org", id: "acme", extra: 1 } }],
      ["POST", "/v1/upstreams", "top level", "ownr", up({ ownr: { type: "user" } })],
      ["POST", "/v1/upstreams", "in owner", "role", up({ owner: { type: "user", role: "admin" } })],
      ["POST", "/v1/upstreams", "in a model", "input_pricee", up({ models: [{ id: "m", input_pricee: 1 }] })],
      ["PATCH", "/v1/upstreams/{id}", "top level", "extra", { display_name: "x", extra: 1 }],
      // The owner of an upstream never changes: PATCH does not know the field.
      ["PATCH", "/v1/upstreams/{id}", "owner", "owner", { owner: { type: "user" } }],
      ["PATCH", "/v1/upstreams/{id}", "in a model", "contex_length", { models: [{ id: "m", contex_length: 8 }] }],
    ];
    it.each(bodies)("%s %s, %s: %s", async (method, path, _where, field, body) => {
      const before = await snapshot();
      const res = await req(path.replace("{id}", upstreamId), { method, key: keys.dave, body });
      const answer = (await res.json()) as { error?: { code: string; message: string; param: string | null } };
      expect(res.status, JSON.stringify(answer)).toBe(400);
      expect(answer.error?.code).toBe("invalid_body");
      expect(`${answer.error?.param ?? ""} ${answer.error?.message ?? ""}`).toContain(field);
      expect(await snapshot()).toEqual(before);
    });
  });
});
