// The upstream and BYOK repositories on every driver the core runs on: PGlite (Node default),
// neon-http (the edge, through the Neon stand-in) and node-postgres (when PostgreSQL is up).
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteByokKey, findByokKey, listByokKeys } from "../../../src/store/repos/byok.ts";
import { deleteUpstream, findUpstreamForRoute, getUpstream, listUpstreamModels, listUpstreams, locateUpstream } from "../../../src/store/repos/upstreams.ts";
import { deleteUser } from "../../../src/store/repos/users.ts";
import { customUpstreams } from "../../../src/store/schema/index.ts";
import { sqlState, UNIQUE_VIOLATION } from "../../../src/store/pg-error.ts";
import { createSecretBox } from "../../../src/credentials/index.ts";
import { serviceAvailable } from "../../support/services.ts";
import { acme, alice, bob, neonDb, pgliteDb, postgresDb, ring, seedOwners, type TestDb } from "../../support/owners.ts";
import { openByokKey, saveByokKey } from "../../../src/credentials/byok-keys.ts";
import { createUpstream, openUpstreamSecrets, type NewUpstream, updateUpstream } from "../../../src/credentials/upstreams.ts";

const box = createSecretBox(ring("k1"));
const pgUp = await serviceAvailable("postgres");

const drivers: [string, () => Promise<TestDb | undefined>][] = [
  ["pglite", pgliteDb],
  ["neon-http", neonDb],
  ["node-postgres", postgresDb],
];

const upstream = (over: Partial<NewUpstream> = {}): NewUpstream => ({
  owner: alice,
  providerId: "local",
  displayName: "Local LLM",
  baseUrl: "https://llm.example.com/v1",
  apiKey: "sk-local-0123456789abcdef",
  extraHeaders: { "x-team": "blue" },
  models: [{ id: "llama", context_length: 8192, input_price: 0.15, output_price: 0.6 }],
  ...over,
});

const SECRET_FIELDS = ["apiKeyEnc", "extraHeadersEnc", "keyEnc"];

describe.each(drivers)("repositories on %s", (name, open) => {
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

  it.skipIf(skip)("creates, reads, lists and deletes upstreams without ever selecting ciphertext", async () => {
    const created = await createUpstream(t.db, box, upstream({ extraHeaders: { "X-Team": "blue" } }));
    expect(created).toMatchObject({
      owner: alice,
      providerId: "local",
      apiKeyHint: "…cdef",
      extraHeaderNames: ["x-team"],
      models: [{ id: "llama", context_length: 8192, input_price: 0.15, output_price: 0.6 }],
      enabled: true,
    });
    for (const field of SECRET_FIELDS) expect(created).not.toHaveProperty(field);
    const orgOwned = await createUpstream(t.db, box, upstream({ owner: acme, providerId: "shared", extraHeaders: undefined }));

    expect(await getUpstream(t.db, alice, created.id)).toEqual(created);
    expect(await getUpstream(t.db, bob, created.id)).toBeUndefined();
    expect((await locateUpstream(t.db, orgOwned.id))?.owner).toEqual(acme);

    const listed = await listUpstreams(t.db, [acme, alice]);
    expect(listed.map((u) => u.providerId)).toEqual(["shared", "local"]);
    for (const u of listed) for (const field of SECRET_FIELDS) expect(u).not.toHaveProperty(field);
    expect(await listUpstreams(t.db, [])).toEqual([]);

    expect(await deleteUpstream(t.db, bob, created.id)).toBe(false);
    expect(await deleteUpstream(t.db, alice, created.id)).toBe(true);
    expect(await deleteUpstream(t.db, acme, orgOwned.id)).toBe(true);
    expect(await listUpstreams(t.db, [alice, acme])).toEqual([]);
  });

  it.skipIf(skip)("keeps provider_id unique per owner only", async () => {
    const first = await createUpstream(t.db, box, upstream({ providerId: "dup" }));
    const err = await createUpstream(t.db, box, upstream({ providerId: "dup" })).catch((e: unknown) => e);
    expect(sqlState(err)).toBe(UNIQUE_VIOLATION);
    const other = await createUpstream(t.db, box, upstream({ owner: bob, providerId: "dup" }));
    const org = await createUpstream(t.db, box, upstream({ owner: acme, providerId: "dup" }));
    // Renaming onto a taken id is refused the same way.
    const second = await createUpstream(t.db, box, upstream({ providerId: "dup2" }));
    expect(sqlState(await updateUpstream(t.db, null, alice, second.id, { providerId: "dup" }).catch((e: unknown) => e))).toBe(UNIQUE_VIOLATION);
    for (const [owner, id] of [[alice, first.id], [bob, other.id], [acme, org.id], [alice, second.id]] as const) {
      expect(await deleteUpstream(t.db, owner, id)).toBe(true);
    }
  });

  it.skipIf(skip)("updates fields and secrets; extra_headers null removes them", async () => {
    const u = await createUpstream(t.db, box, upstream({ providerId: "upd" }));
    expect(await updateUpstream(t.db, box, bob, u.id, { displayName: "stolen" })).toBeUndefined();
    const changed = await updateUpstream(t.db, box, alice, u.id, {
      displayName: "Renamed",
      enabled: false,
      apiKey: "sk-rotated-abcdefghijkl",
      extraHeaders: { "x-a": "1", "x-b": "2" },
      models: [],
    });
    expect(changed).toMatchObject({ displayName: "Renamed", enabled: false, apiKeyHint: "…ijkl", extraHeaderNames: ["x-a", "x-b"], models: [] });
    expect(changed!.updatedAt.getTime()).toBeGreaterThanOrEqual(u.updatedAt.getTime());
    const route = await findUpstreamForRoute(t.db, [alice], "upd");
    expect(route).toBeUndefined(); // disabled
    await updateUpstream(t.db, box, alice, u.id, { enabled: true });
    const enabled = await findUpstreamForRoute(t.db, [alice], "upd");
    expect(await openUpstreamSecrets(box, enabled!)).toEqual({ apiKey: "sk-rotated-abcdefghijkl", extraHeaders: { "x-a": "1", "x-b": "2" } });

    const cleared = await updateUpstream(t.db, box, alice, u.id, { extraHeaders: null });
    expect(cleared?.extraHeaderNames).toEqual([]);
    expect(await openUpstreamSecrets(box, (await findUpstreamForRoute(t.db, [alice], "upd"))!)).toEqual({ apiKey: "sk-rotated-abcdefghijkl", extraHeaders: {} });
    await expect(updateUpstream(t.db, null, alice, u.id, { apiKey: "x" })).rejects.toThrow("needs a SecretBox");
    await deleteUpstream(t.db, alice, u.id);
  });

  it.skipIf(skip)("routes to the first enabled upstream in the caller's owner order and lists models without secrets", async () => {
    const mine = await createUpstream(t.db, box, upstream({ providerId: "route", apiKey: "sk-mine-000000000000" }));
    const org = await createUpstream(t.db, box, upstream({ owner: acme, providerId: "route", apiKey: "sk-org-0000000000000", models: [{ id: "org-model" }] }));
    const off = await createUpstream(t.db, box, upstream({ owner: acme, providerId: "off", enabled: false }));

    const userFirst = await findUpstreamForRoute(t.db, [alice, acme], "route");
    expect(userFirst).toMatchObject({ id: mine.id, owner: alice, providerId: "route", baseUrl: "https://llm.example.com/v1" });
    expect((await openUpstreamSecrets(box, userFirst!)).apiKey).toBe("sk-mine-000000000000");
    const orgFirst = await findUpstreamForRoute(t.db, [acme, alice], "route");
    expect(orgFirst).toMatchObject({ id: org.id, owner: acme, models: [{ id: "org-model" }] });
    expect((await openUpstreamSecrets(box, orgFirst!)).apiKey).toBe("sk-org-0000000000000");
    expect(await findUpstreamForRoute(t.db, [bob], "route")).toBeUndefined();
    expect(await findUpstreamForRoute(t.db, [], "route")).toBeUndefined();
    expect(await findUpstreamForRoute(t.db, [acme], "off")).toBeUndefined();

    const catalog = await listUpstreamModels(t.db, [alice, acme]);
    expect(catalog).toEqual([
      { owner: alice, providerId: "route", displayName: "Local LLM", models: [{ id: "llama", context_length: 8192, input_price: 0.15, output_price: 0.6 }] },
      { owner: acme, providerId: "route", displayName: "Local LLM", models: [{ id: "org-model" }] },
    ]);
    for (const [owner, id] of [[alice, mine.id], [acme, org.id], [acme, off.id]] as const) await deleteUpstream(t.db, owner, id);
  });

  it.skipIf(skip)("refuses stored models that do not fit the schema", async () => {
    const u = await createUpstream(t.db, box, upstream({ providerId: "bad-models" }));
    await t.db.update(customUpstreams).set({ models: [{ name: "no id" }] }).where(eq(customUpstreams.id, u.id));
    await expect(listUpstreams(t.db, [alice])).rejects.toThrow(`custom upstream ${u.id} has malformed models`);
    await expect(findUpstreamForRoute(t.db, [alice], "bad-models")).rejects.toThrow("malformed models");
    await deleteUpstream(t.db, alice, u.id);
  });

  it.skipIf(skip)("keeps one BYOK key per owner and provider; a replacement is a new row", async () => {
    const first = await saveByokKey(t.db, box, alice, "openai", "sk-alice-first-000000");
    expect(first).toMatchObject({ owner: alice, provider: "openai", keyHint: "…0000" });
    expect(first).not.toHaveProperty("keyEnc");
    const replaced = await saveByokKey(t.db, box, alice, "openai", "sk-alice-second-11111");
    expect(replaced.id).not.toBe(first.id);
    await saveByokKey(t.db, box, acme, "openai", "sk-acme-00000000000000");
    await saveByokKey(t.db, box, acme, "openai", "sk-acme-11111111111111");
    await saveByokKey(t.db, box, alice, "groq", "gsk-alice-0000000000");

    const mine = await listByokKeys(t.db, alice);
    expect(mine.map((k) => [k.provider, k.keyHint])).toEqual([["groq", "…0000"], ["openai", "…1111"]]);
    for (const k of mine) expect(k).not.toHaveProperty("keyEnc");
    expect(await listByokKeys(t.db, acme)).toHaveLength(1);

    const userFirst = await findByokKey(t.db, [alice, acme], "openai");
    expect(userFirst).toMatchObject({ id: replaced.id, owner: alice });
    expect(await openByokKey(box, userFirst!)).toBe("sk-alice-second-11111");
    const orgFirst = await findByokKey(t.db, [acme, alice], "openai");
    expect(await openByokKey(box, orgFirst!)).toBe("sk-acme-11111111111111");
    expect(await findByokKey(t.db, [bob], "openai")).toBeUndefined();
    expect(await findByokKey(t.db, [], "openai")).toBeUndefined();

    expect(await deleteByokKey(t.db, bob, "openai")).toBe(false);
    expect(await deleteByokKey(t.db, alice, "openai")).toBe(true);
    expect(await deleteByokKey(t.db, alice, "openai")).toBe(false);
    expect((await findByokKey(t.db, [alice, acme], "openai"))?.owner).toEqual(acme);
  });

  it.skipIf(skip)("removes every secret of a deleted user", async () => {
    const { createUser } = await import("../../../src/store/repos/users.ts");
    const carol = { type: "user", id: "u-carol" } as const;
    await createUser(t.db, { id: carol.id });
    await createUpstream(t.db, box, upstream({ owner: carol, providerId: "carol" }));
    await saveByokKey(t.db, box, carol, "openai", "sk-carol-000000000000");
    expect(await deleteUser(t.db, carol.id)).toBe(true);
    expect(await listUpstreams(t.db, [carol])).toEqual([]);
    expect(await listByokKeys(t.db, carol)).toEqual([]);
  });
});
