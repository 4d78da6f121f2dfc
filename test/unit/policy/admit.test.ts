// The admission step on its own: one candidate target for one caller, on a PGlite database and
// in-memory counters. Allow-lists and credit depend on the target; the caller's rate is counted
// once per request, however many candidates it tries.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/schema.ts";
import { createMemoryCounters } from "../../../src/counters/index.ts";
import type { Caller } from "../../../src/domain/caller.ts";
import type { UpstreamTarget } from "../../../src/domain/target.ts";
import { Policy, type AdmitRequest } from "../../../src/policy/index.ts";
import { addCredit } from "../../../src/store/repos/credit.ts";
import { createOrg, putMember, putOrgSettings } from "../../../src/store/repos/orgs.ts";
import { createUser } from "../../../src/store/repos/users.ts";
import { openPglite, type OpenDb } from "../store/databases.ts";

const silent = { info() {}, warn() {}, error() {} };

const target = (providerId: string, charge: UpstreamTarget["charge"]): UpstreamTarget => ({
  model: `${providerId}/m`,
  resolvedModel: `${providerId}/m`,
  providerId,
  kind: "builtin",
  baseUrl: "http://x/v1",
  apiKey: "k",
  extraHeaders: {},
  upstreamModel: "m",
  charge,
  contextLength: null,
  guarded: false,
  retry: null,
  health: null,
});
const paid = (providerId = "openai") => target(providerId, { kind: "catalog", pricing: { inputPerMillion: 1, outputPerMillion: 1 } });

const user = (userId: string, org: { id: string; role: "member" } | null = null, rpm: number | null = null): Caller => ({
  kind: "user",
  userId,
  via: "api_key",
  apiKeyId: `key-${userId}`,
  org,
  limits: { rpm, tpm: 100 },
});

describe("admit", () => {
  let open: OpenDb;
  let policy: Policy;
  let estimates = 0;
  const admit = (caller: Caller, t: UpstreamTarget, extra: Partial<AdmitRequest> = {}) =>
    policy.admit({
      caller,
      target: t,
      estimate: () => {
        estimates++;
        return 10;
      },
      request: new Request("http://gw/"),
      waitUntil: () => {},
      ...extra,
    });

  beforeAll(async () => {
    open = await openPglite();
    for (const id of ["rich", "broke", "member"]) await createUser(open.db, { id });
    await addCredit(open.db, { type: "user", id: "rich" }, 1_000_000);
    await createOrg(open.db, { id: "acme", name: "Acme" });
    await putMember(open.db, "acme", "member", "member");
    await addCredit(open.db, { type: "org", id: "acme" }, 1_000_000);
    await putOrgSettings(open.db, "acme", { provider_denylist: ["groq"] });
    await createOrg(open.db, { id: "strict", name: "Strict" });
    await putMember(open.db, "strict", "member", "member");
    await addCredit(open.db, { type: "org", id: "strict" }, 1_000_000);
    await putOrgSettings(open.db, "strict", { model_allowlist: ["openai/m", "route/any"] });
    policy = new Policy({ config: parseConfig({}), db: open.db, counters: createMemoryCounters(), logger: silent, now: Date.now });
  });

  afterAll(async () => open?.close());

  it("admits a paid target for an owner with credit, and names who pays", async () => {
    await expect(admit(user("rich"), paid())).resolves.toMatchObject({ owner: { type: "user", id: "rich" } });
  });

  it("refuses a paid target without credit, but not a free one or the caller's own account", async () => {
    await expect(admit(user("broke"), paid())).rejects.toMatchObject({ status: 402, code: "insufficient_credits" });
    await expect(admit(user("broke"), target("openai", { kind: "free" }))).resolves.toMatchObject({ owner: { type: "user", id: "broke" } });
    await expect(admit(user("broke"), target("openai", { kind: "owner" }))).resolves.toMatchObject({ owner: { type: "user", id: "broke" } });
  });

  it("applies the acting organization's lists to each target on its own", async () => {
    const asAcme = user("member", { id: "acme", role: "member" });
    await expect(admit(asAcme, paid("groq"))).rejects.toMatchObject({ status: 403, code: "provider_not_allowed" });
    await expect(admit(asAcme, paid("openai"))).resolves.toMatchObject({ owner: { type: "org", id: "acme" } });
  });

  it("checks the model allow-list against the model a target resolved to, never the name the client used", async () => {
    const asStrict = user("member", { id: "strict", role: "member" });
    // A route or auto/org name on the list does not open whatever it resolves to…
    await expect(admit(asStrict, { ...paid(), model: "route/any", resolvedModel: "openai/other" })).rejects.toMatchObject({ status: 403, code: "model_not_allowed" });
    await expect(admit(asStrict, { ...paid(), model: "auto/org", resolvedModel: "openai/other" })).rejects.toMatchObject({ code: "model_not_allowed" });
    // …and a listed model is served whatever name reached it.
    await expect(admit(asStrict, { ...paid(), model: "auto/org", resolvedModel: "openai/m" })).resolves.toMatchObject({ owner: { type: "org", id: "strict" } });
  });

  it("reserves tokens only when a token limit applies, and counts a request once across its candidates", async () => {
    const caller = user("rich", null, 2);
    estimates = 0;
    const first = await admit(caller, paid());
    expect(estimates).toBe(1);
    expect(first.rate.requests).toMatchObject({ limit: 2, remaining: 1 });
    expect(first.rate.reservations).toHaveLength(1);
    // A second candidate of the same request: no new count, no new reservation.
    const second = await admit(caller, paid(), { counted: first.rate });
    expect(second.rate).toBe(first.rate);
    expect(estimates).toBe(1);
    // A new request counts again, and the third is over the limit of 2 per minute.
    await admit(caller, paid());
    await expect(admit(caller, paid())).rejects.toMatchObject({ status: 429, code: "rate_limited" });
  });

  it("limits anonymous callers by the platform's client IP", async () => {
    const anonymous: Caller = { kind: "anonymous" };
    const admission = await admit(anonymous, target("openai", { kind: "free" }));
    expect(admission.owner).toBeNull();
    expect(admission.rate.requests?.limit).toBe(200);
  });
});
