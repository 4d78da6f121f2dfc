// The conditional settings write (store/repos/org-settings-save.ts) on every driver the core runs
// on: one UPDATE that saves only while the plan and every fact still hold, and, when it saves
// nothing, names the condition that failed.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { saveRoute } from "../../../src/routing/route-store.ts";
import { putByokKey } from "../../../src/store/repos/byok.ts";
import { upsertModel } from "../../../src/store/repos/catalog.ts";
import { factHolds, saveOrgSettingsIf, type SettingsFact } from "../../../src/store/repos/org-settings-save.ts";
import { getOrgSettings, putOrgSettings, updateOrg, type OrgSettings } from "../../../src/store/repos/orgs.ts";
import { insertUpstream } from "../../../src/store/repos/upstreams.ts";
import { byokKeys, customUpstreams } from "../../../src/store/schema/index.ts";
import { serviceAvailable } from "../../support/services.ts";
import { acme, alice, globex, neonDb, pgliteDb, postgresDb, seedOwners, type TestDb } from "../../support/owners.ts";

const pgUp = await serviceAvailable("postgres");
const drivers: [string, () => Promise<TestDb | undefined>][] = [
  ["pglite", pgliteDb],
  ["neon-http", neonDb],
  ["node-postgres", postgresDb],
];

const settings: OrgSettings = {
  provider_denylist: ["together"],
  auto_model: { enabled: true, fallback_model: "openai/priced", routes: { code: "route/fast" }, byok_providers: ["groq"] },
};
const before: OrgSettings = { data_collection: "deny" };

describe.each(drivers)("conditional settings write on %s", (name, open) => {
  const skip = name === "node-postgres" && !pgUp;
  let t: TestDb;
  let routeId = "";
  const facts = (): SettingsFact[] => [
    { kind: "byok_key", provider: "groq" },
    { kind: "upstream", providerId: "acmellm" },
    { kind: "catalog", model: "openai/priced", priced: true },
    { kind: "catalog", model: "openai/free", priced: true },
    { kind: "catalog", model: "openai/unpriced", priced: false },
    { kind: "route", id: routeId },
  ];

  beforeAll(async () => {
    if (skip) return;
    const opened = await open();
    if (!opened) throw new Error(`${name} did not open`);
    t = opened;
    await seedOwners(t.db);
    await updateOrg(t.db, acme.id, { plan: "enterprise" });
    await putByokKey(t.db, acme, "groq", { id: "byok_acme_groq", keyEnc: "sealed", keyHint: "…1234" });
    await putByokKey(t.db, alice, "openrouter", { id: "byok_alice_or", keyEnc: "sealed", keyHint: "…1234" });
    const sealed = { apiKeyEnc: "sealed", apiKeyHint: "…1234", extraHeadersEnc: null, extraHeaderNames: [] };
    await insertUpstream(t.db, { id: "ups_acme", owner: acme, providerId: "acmellm", displayName: "Acme", baseUrl: "https://llm.acme.test/v1", ...sealed });
    await insertUpstream(t.db, { id: "ups_acme_off", owner: acme, providerId: "acmeoff", displayName: "Off", baseUrl: "https://off.acme.test/v1", enabled: false, ...sealed });
    await upsertModel(t.db, { id: "openai/priced", provider: "openai", inputPrice: 150_000, outputPrice: 600_000 });
    await upsertModel(t.db, { id: "openai/free", provider: "openai", free: true });
    await upsertModel(t.db, { id: "openai/unpriced", provider: "openai" });
    await upsertModel(t.db, { id: "openai/off", provider: "openai", inputPrice: 1, outputPrice: 1, enabled: false });
    routeId = (await saveRoute(t.db, acme, "fast", { strategy: "fallback", targets: [{ model: "openai/priced" }] })).id;
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    if (!skip) await putOrgSettings(t.db, acme.id, before);
  });

  it.skipIf(skip)("saves when the plan and every fact hold", async () => {
    expect(await saveOrgSettingsIf(t.db, acme.id, settings, { enterprise: true, facts: [...facts(), ...facts()] })).toEqual({ saved: true });
    expect(await getOrgSettings(t.db, acme.id)).toEqual(settings);
  });

  it.skipIf(skip)("names the fact that does not hold, and writes nothing", async () => {
    const missing: SettingsFact[] = [
      { kind: "byok_key", provider: "openai" },
      { kind: "byok_key", provider: "openrouter" }, // alice's key is not the organization's
      { kind: "upstream", providerId: "acmeoff" }, // disabled
      { kind: "upstream", providerId: "nope" },
      { kind: "catalog", model: "openai/unpriced", priced: true },
      { kind: "catalog", model: "openai/off", priced: false },
      { kind: "catalog", model: "openai/unknown", priced: false },
      { kind: "route", id: "rte_gone" },
    ];
    for (const fact of missing) {
      expect(await factHolds(t.db, acme.id, fact), JSON.stringify(fact)).toBe(false);
      const result = await saveOrgSettingsIf(t.db, acme.id, settings, { enterprise: true, facts: [...facts(), fact] });
      expect(result, JSON.stringify(fact)).toEqual({ saved: false, failed: { kind: "fact", fact } });
      expect(await getOrgSettings(t.db, acme.id)).toEqual(before);
    }
    for (const fact of facts()) expect(await factHolds(t.db, acme.id, fact), JSON.stringify(fact)).toBe(true);
  });

  it.skipIf(skip)("needs the enterprise plan only when asked, and an existing organization", async () => {
    expect(await saveOrgSettingsIf(t.db, globex.id, settings, { enterprise: true, facts: [] })).toEqual({ saved: false, failed: { kind: "plan" } });
    expect(await saveOrgSettingsIf(t.db, "org-none", settings, { enterprise: true, facts: [] })).toEqual({ saved: false, failed: { kind: "org" } });
    expect(await saveOrgSettingsIf(t.db, globex.id, before, { enterprise: false, facts: [] })).toEqual({ saved: true });
    // A fact of another organization does not hold for this one.
    expect(await saveOrgSettingsIf(t.db, globex.id, before, { enterprise: false, facts: [{ kind: "byok_key", provider: "groq" }] })).toEqual({
      saved: false,
      failed: { kind: "fact", fact: { kind: "byok_key", provider: "groq" } },
    });
  });

  it.skipIf(skip)("sees a key deleted or an upstream disabled just before the write", async () => {
    await t.db.delete(byokKeys).where(eq(byokKeys.id, "byok_acme_groq"));
    await t.db.update(customUpstreams).set({ enabled: false }).where(eq(customUpstreams.id, "ups_acme"));
    const result = await saveOrgSettingsIf(t.db, acme.id, settings, { enterprise: true, facts: facts() });
    expect(result).toEqual({ saved: false, failed: { kind: "fact", fact: { kind: "byok_key", provider: "groq" } } });
    await putByokKey(t.db, acme, "groq", { id: "byok_acme_groq2", keyEnc: "sealed", keyHint: "…1234" });
    expect(await saveOrgSettingsIf(t.db, acme.id, settings, { enterprise: true, facts: facts() })).toEqual({
      saved: false,
      failed: { kind: "fact", fact: { kind: "upstream", providerId: "acmellm" } },
    });
    await t.db.update(customUpstreams).set({ enabled: true }).where(eq(customUpstreams.id, "ups_acme"));
    expect(await saveOrgSettingsIf(t.db, acme.id, settings, { enterprise: true, facts: facts() })).toEqual({ saved: true });
  });
});
