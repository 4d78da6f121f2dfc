// Secrets at rest: what the database holds is ciphertext only, and a ciphertext opens only in
// the row, owner and column it was sealed for.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findByokKey } from "../../../src/store/repos/byok.ts";
import { findUpstreamForRoute } from "../../../src/store/repos/upstreams.ts";
import { byokKeys, customUpstreams } from "../../../src/store/schema/index.ts";
import { createSecretBox, SecretDecryptError } from "../../../src/credentials/index.ts";
import { acme, alice, bob, pgliteDb, ring, seedOwners } from "../../support/owners.ts";
import { openByokKey, saveByokKey } from "../../../src/credentials/byok-keys.ts";
import { createUpstream, openUpstreamSecrets, type NewUpstream, upstreamHeadersAad } from "../../../src/credentials/upstreams.ts";

const box = createSecretBox(ring("k1"));
const API_KEY = "sk-very-secret-upstream-key-0001";
const HEADER_VALUE = "header-secret-value-0002";
const BYOK_KEY = "sk-very-secret-byok-key-0003";

let t: Awaited<ReturnType<typeof pgliteDb>>;
beforeAll(async () => {
  t = await pgliteDb();
  await seedOwners(t.db);
});
afterAll(() => t.close());

const upstream = (over: Partial<NewUpstream>): NewUpstream => ({
  owner: alice,
  providerId: "p",
  displayName: "P",
  baseUrl: "https://p.example.com/v1",
  apiKey: API_KEY,
  extraHeaders: { "x-secret": HEADER_VALUE },
  ...over,
});

async function route(owner: typeof alice, providerId: string) {
  const r = await findUpstreamForRoute(t.db, [owner], providerId);
  if (!r) throw new Error(`no upstream ${providerId}`);
  return r;
}

describe("secrets at rest", () => {
  it("stores no plaintext: raw rows hold only v1.<keyId>… ciphertexts and hints", async () => {
    await createUpstream(t.db, box, upstream({ providerId: "raw" }));
    await saveByokKey(t.db, box, alice, "openai", BYOK_KEY);
    const raw = JSON.stringify([
      ...(await t.client.query("select * from custom_upstreams")).rows,
      ...(await t.client.query("select * from byok_keys")).rows,
    ]);
    for (const secret of [API_KEY, HEADER_VALUE, BYOK_KEY]) {
      expect(raw).not.toContain(secret);
      expect(raw).not.toContain(btoa(secret).slice(0, 16));
    }
    const row = (await t.client.query<{ api_key_enc: string; extra_headers_enc: string; api_key_hint: string }>("select * from custom_upstreams where provider_id = 'raw'")).rows[0]!;
    expect(row.api_key_enc).toMatch(/^v1\.k1\./);
    expect(row.extra_headers_enc).toMatch(/^v1\.k1\./);
    expect(row.api_key_hint).toBe("…0001");
    expect(await openUpstreamSecrets(box, await route(alice, "raw"))).toEqual({ apiKey: API_KEY, extraHeaders: { "x-secret": HEADER_VALUE } });
  });

  it("hints never reveal a short secret", async () => {
    const u = await createUpstream(t.db, box, upstream({ providerId: "short", apiKey: "abc12345" }));
    expect(u.apiKeyHint).toBe("…");
  });

  it("a ciphertext copied to another owner's row, another row of the same owner, or another column does not open", async () => {
    const source = await createUpstream(t.db, box, upstream({ providerId: "src" }));
    await createUpstream(t.db, box, upstream({ providerId: "same-owner", apiKey: "sk-other-000000000000" }));
    await createUpstream(t.db, box, upstream({ owner: bob, providerId: "other-owner", apiKey: "sk-bob-00000000000000" }));
    await createUpstream(t.db, box, upstream({ owner: acme, providerId: "org-owner", apiKey: "sk-acme-0000000000000" }));
    const [stolen] = await t.db.select({ key: customUpstreams.apiKeyEnc, headers: customUpstreams.extraHeadersEnc }).from(customUpstreams).where(eq(customUpstreams.id, source.id));

    for (const [owner, providerId] of [[alice, "same-owner"], [bob, "other-owner"], [acme, "org-owner"]] as const) {
      await t.db.update(customUpstreams).set({ apiKeyEnc: stolen!.key }).where(eq(customUpstreams.providerId, providerId));
      await expect(openUpstreamSecrets(box, await route(owner, providerId))).rejects.toBeInstanceOf(SecretDecryptError);
    }
    // The key's ciphertext moved into the headers column of its own row.
    await t.db.update(customUpstreams).set({ extraHeadersEnc: stolen!.key }).where(eq(customUpstreams.id, source.id));
    await expect(openUpstreamSecrets(box, await route(alice, "src"))).rejects.toBeInstanceOf(SecretDecryptError);
  });

  it("a BYOK key copied to another owner or provider does not open", async () => {
    await saveByokKey(t.db, box, bob, "openai", "sk-bob-byok-000000000");
    await saveByokKey(t.db, box, alice, "groq", "gsk-alice-0000000000");
    const aliceOpenai = (await findByokKey(t.db, [alice], "openai"))!;
    await t.db.update(byokKeys).set({ keyEnc: aliceOpenai.keyEnc }).where(eq(byokKeys.ownerUserId, bob.id));
    await expect(openByokKey(box, (await findByokKey(t.db, [bob], "openai"))!)).rejects.toBeInstanceOf(SecretDecryptError);
    const groq = (await findByokKey(t.db, [alice], "groq"))!;
    await t.db.update(byokKeys).set({ keyEnc: aliceOpenai.keyEnc }).where(eq(byokKeys.id, groq.id));
    await expect(openByokKey(box, (await findByokKey(t.db, [alice], "groq"))!)).rejects.toBeInstanceOf(SecretDecryptError);
    // The untouched original still opens.
    expect(await openByokKey(box, aliceOpenai)).toBe(BYOK_KEY);
  });

  it("validates extra headers on write and again after decrypting", async () => {
    await expect(createUpstream(t.db, box, upstream({ providerId: "auth", extraHeaders: { Authorization: "Bearer x" } }))).rejects.toThrow("cannot be overridden");
    await expect(createUpstream(t.db, box, upstream({ providerId: "crlf", extraHeaders: { "x-a": "1\r\nx-b: 2" } }))).rejects.toThrow();
    const u = await createUpstream(t.db, box, upstream({ providerId: "tampered" }));
    // A correctly sealed value whose content was never allowed (written around the repository).
    const forged = await box.encrypt(JSON.stringify({ host: "evil.example" }), upstreamHeadersAad(alice, u.id));
    await t.db.update(customUpstreams).set({ extraHeadersEnc: forged }).where(eq(customUpstreams.id, u.id));
    await expect(openUpstreamSecrets(box, await route(alice, "tampered"))).rejects.toThrow("malformed extra headers");
  });
});
