// Organization allow-lists and the credit check, on an in-process PGlite: what they refuse and
// with which message, and that a warm cache answers without the database.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UpstreamTarget } from "../../../src/domain/target.ts";
import { addCredit } from "../../../src/store/repos/credit.ts";
import { recordUsage } from "../../../src/store/repos/ledger.ts";
import { createOrg, putOrgSettings } from "../../../src/store/repos/orgs.ts";
import { createUser } from "../../../src/store/repos/users.ts";
import type { Db } from "../../../src/store/db.ts";
import { GatewayError } from "../../../src/http/errors.ts";
import { CreditGuard, needsCredit } from "../../../src/policy/credit.ts";
import { checkAllowLists, compileOrgPolicy, OrgPolicies, readOrgLimits } from "../../../src/policy/org-policy.ts";
import { openPglite, type OpenDb } from "../store/databases.ts";

const messageOf = (x: unknown): string => (x instanceof Error ? x.message : String(x));

function thrown(run: () => unknown): GatewayError | null {
  try {
    run();
    return null;
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
}

describe("organization allow-lists", () => {
  it("restrict models by exact id or <provider>/* and providers by allow and deny lists", () => {
    const policy = compileOrgPolicy({ model_allowlist: ["openai/gpt-4o-mini", "groq/*"], provider_denylist: ["Groq"] });
    expect(thrown(() => checkAllowLists(policy, "openai/gpt-4o-mini", "openai"))).toBeNull();
    expect(thrown(() => checkAllowLists(policy, "openai/gpt-4o", "openai"))).toMatchObject({ status: 403, code: "model_not_allowed", param: "model" });
    // Allowed by the model list, but its provider is denied (case-insensitively).
    expect(thrown(() => checkAllowLists(policy, "groq/llama-3", "groq"))).toMatchObject({ status: 403, code: "provider_not_allowed" });

    const onlyOpenai = compileOrgPolicy({ provider_allowlist: ["openai"] });
    expect(thrown(() => checkAllowLists(onlyOpenai, "openai/anything", "openai"))).toBeNull();
    expect(thrown(() => checkAllowLists(onlyOpenai, "acme/large", "acme"))).toMatchObject({ code: "provider_not_allowed" });
    expect(thrown(() => checkAllowLists(compileOrgPolicy({}), "acme/large", "acme"))).toBeNull();
  });

  it("read the organization's own rate limits defensively", () => {
    const withLimits: Record<string, unknown> = { rate_limits: { rpm: 60, tpm: null } };
    expect(readOrgLimits(withLimits)).toEqual({ rpm: 60, tpm: null });
    expect(readOrgLimits({})).toBeNull();
    const malformed: Record<string, unknown> = { rate_limits: { rpm: "lots" } };
    expect(readOrgLimits(malformed)).toBeNull();
  });
});

describe("policy caches on a database", () => {
  let open: OpenDb;
  let db: Db;
  let queries = 0;
  let counting: Db;

  beforeAll(async () => {
    open = await openPglite();
    db = open.db;
    // Counts the statements the caches run (every drizzle query goes through the session).
    counting = new Proxy(db, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (prop === "select" && typeof value === "function") {
          return (...args: unknown[]) => {
            queries++;
            return Reflect.apply(value, target, args);
          };
        }
        return value;
      },
    });
    await createUser(db, { id: "u_new" });
    await createUser(db, { id: "u_spent" });
    await createUser(db, { id: "u_rich" });
    await createOrg(db, { id: "org_a", name: "A" });
    await addCredit(db, { type: "user", id: "u_rich" }, 5_000_000);
    await addCredit(db, { type: "user", id: "u_spent" }, 10);
    await recordUsage(db, {
      requestId: "req-spent",
      owner: { type: "user", id: "u_spent" },
      model: "openai/m",
      provider: "openai",
      upstreamModel: "m",
      byok: false,
      promptTokens: 10,
      completionTokens: 10,
      estimated: false,
      costMicrodollars: 25,
      status: 200,
      latencyMs: 5,
    });
  });

  afterAll(async () => open?.close());

  it("org settings are cached and dropped on forget()", async () => {
    await putOrgSettings(db, "org_a", { model_allowlist: ["openai/m"] });
    const policies = new OrgPolicies(counting);
    queries = 0;
    expect((await policies.get("org_a")).models).toEqual(new Set(["openai/m"]));
    await putOrgSettings(db, "org_a", { model_allowlist: ["openai/n"] });
    expect((await policies.get("org_a")).models).toEqual(new Set(["openai/m"]));
    expect(queries).toBe(1);
    policies.forget("org_a");
    expect((await policies.get("org_a")).models).toEqual(new Set(["openai/n"]));
  });

  it("a first-time user is told how to add credit; a returning one that they are out", async () => {
    const credit = new CreditGuard(counting);
    const fresh = await credit.check({ type: "user", id: "u_new" })?.catch((e: unknown) => e);
    expect(fresh).toMatchObject({ status: 402, code: "insufficient_credits" });
    expect(messageOf(fresh)).toMatch(/no credit yet.*add credit/);
    const spent = await credit.check({ type: "user", id: "u_spent" })?.catch((e: unknown) => e);
    expect(spent).toMatchObject({ status: 402, code: "insufficient_credits" });
    expect(messageOf(spent)).toMatch(/out of credit \(balance -\$0\.000015\)/);
    const org = await credit.check({ type: "org", id: "org_a" })?.catch((e: unknown) => e);
    expect(messageOf(org)).toContain('organization "org_a"');
  });

  it("a positive balance is cached: the warm check is synchronous and reads nothing", async () => {
    let t = 0;
    const credit = new CreditGuard(counting, { ttlMs: 10_000, emptyTtlMs: 2_000, now: () => t });
    const rich = { type: "user", id: "u_rich" } as const;
    queries = 0;
    await credit.check(rich);
    expect(credit.check(rich)).toBeUndefined();
    expect(queries).toBe(1);
    // This isolate's own charges count at once.
    credit.debit(rich, 5_000_000);
    await expect(credit.check(rich)).rejects.toMatchObject({ status: 402 });
    // The entry expires (briefly, for an empty balance) and the database is asked again.
    t += 2_001;
    await credit.check(rich);
    expect(queries).toBe(2);
  });

  it("concurrent first checks share one query", async () => {
    const credit = new CreditGuard(counting);
    queries = 0;
    await Promise.all(Array.from({ length: 20 }, () => credit.check({ type: "user", id: "u_rich" })));
    expect(queries).toBe(1);
  });
});

describe("which requests need credit", () => {
  const route = (over: Partial<UpstreamTarget>): UpstreamTarget => ({
    model: "openai/m",
    resolvedModel: "openai/m",
    providerId: "openai",
    kind: "builtin",
    baseUrl: "http://x/v1",
    apiKey: "k",
    extraHeaders: {},
    upstreamModel: "m",
    charge: { kind: "catalog", pricing: { inputPerMillion: 150_000, outputPerMillion: 600_000 } },
    contextLength: null,
    guarded: false,
    retry: null,
    health: null,
    ...over,
  });

  // A model is free only when the catalog marks it so: a missing or zero price is no reason to
  // serve the operator's key without credit (the catalog rule, README).
  it("every model on the operator's key that is not marked free", () => {
    expect(needsCredit(route({}))).toBe(true);
    expect(needsCredit(route({ charge: { kind: "owner" } }))).toBe(false);
    expect(needsCredit(route({ charge: { kind: "free" } }))).toBe(false);
    expect(needsCredit(route({ charge: { kind: "passthrough" } }))).toBe(true);
    expect(needsCredit(route({ charge: { kind: "catalog", pricing: { inputPerMillion: 0, outputPerMillion: 0 } } }))).toBe(true);
  });
});
