// Key rotation: add a key to the ring, run reencryptAll (or the project command), and every
// secret is sealed with the new key — while old values keep opening and owners keep writing.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import type { Owner } from "../../../src/domain/caller.ts";
import type { Db } from "../../../src/store/db.ts";
import { findByokKey, listByokKeys } from "../../../src/store/repos/byok.ts";
import { findUpstreamForRoute } from "../../../src/store/repos/upstreams.ts";
import { byokKeys, customUpstreams } from "../../../src/store/schema/index.ts";
import { createSecretBox, type SecretBox } from "../../../src/credentials/index.ts";
import { reencryptAll } from "../../../src/credentials/reencrypt.ts";
import { serviceAvailable } from "../../support/services.ts";
import { acme, alice, bob, pgliteDb, postgresDb, ring, ringSpec, seedOwners, type TestDb } from "../../support/owners.ts";
import { openByokKey, saveByokKey } from "../../../src/credentials/byok-keys.ts";
import { createUpstream, openUpstreamSecrets, type NewUpstream, updateUpstream, upstreamApiKeyAad } from "../../../src/credentials/upstreams.ts";

const old = createSecretBox(ring("k1"));
const rotated = createSecretBox(ring("k1", "k2"));
const run = promisify(execFile);

const upstream = (owner: Owner, providerId: string, apiKey: string, headers?: Record<string, string>): NewUpstream => ({
  owner,
  providerId,
  displayName: providerId,
  baseUrl: "https://p.example.com/v1",
  apiKey,
  extraHeaders: headers,
});

/** Two upstreams with headers, one without, and three BYOK keys, all sealed with k1. */
async function seedSecrets(db: Db, box: SecretBox = old) {
  await createUpstream(db, box, upstream(alice, "a", "sk-alice-a-0000000000", { "x-a": "alice-header" }));
  await createUpstream(db, box, upstream(alice, "b", "sk-alice-b-0000000000"));
  await createUpstream(db, box, upstream(acme, "a", "sk-acme-a-00000000000", { "x-org": "acme-header" }));
  await saveByokKey(db, box, alice, "openai", "sk-alice-byok-0000000");
  await saveByokKey(db, box, bob, "openai", "sk-bob-byok-000000000");
  await saveByokKey(db, box, acme, "groq", "gsk-acme-byok-0000000");
}

async function allCiphertexts(db: Db): Promise<string[]> {
  const ups = await db.select({ k: customUpstreams.apiKeyEnc, h: customUpstreams.extraHeadersEnc }).from(customUpstreams);
  const keys = await db.select({ k: byokKeys.keyEnc }).from(byokKeys);
  return [...ups.flatMap((u) => (u.h ? [u.k, u.h] : [u.k])), ...keys.map((k) => k.k)];
}

async function expectAllOpen(db: Db, box: SecretBox) {
  expect(await openUpstreamSecrets(box, (await findUpstreamForRoute(db, [alice], "a"))!)).toEqual({ apiKey: "sk-alice-a-0000000000", extraHeaders: { "x-a": "alice-header" } });
  expect(await openUpstreamSecrets(box, (await findUpstreamForRoute(db, [alice], "b"))!)).toEqual({ apiKey: "sk-alice-b-0000000000", extraHeaders: {} });
  expect(await openUpstreamSecrets(box, (await findUpstreamForRoute(db, [acme], "a"))!)).toEqual({ apiKey: "sk-acme-a-00000000000", extraHeaders: { "x-org": "acme-header" } });
  expect(await openByokKey(box, (await findByokKey(db, [alice], "openai"))!)).toBe("sk-alice-byok-0000000");
  expect(await openByokKey(box, (await findByokKey(db, [bob], "openai"))!)).toBe("sk-bob-byok-000000000");
  expect(await openByokKey(box, (await findByokKey(db, [acme], "groq"))!)).toBe("gsk-acme-byok-0000000");
}

describe("reencryptAll", () => {
  let t: Awaited<ReturnType<typeof pgliteDb>>;
  beforeEach(async () => {
    await t?.close();
    t = await pgliteDb();
    await seedOwners(t.db);
    await seedSecrets(t.db);
  });
  afterAll(() => t.close());

  it("re-seals every secret under the newest key; old values open throughout; a second run has nothing to do", async () => {
    // No downtime: the rotated ring opens what k1 sealed before anything is re-sealed.
    await expectAllOpen(t.db, rotated);
    expect(await reencryptAll(t.db, rotated, { pageSize: 1 })).toEqual({ upstreamKeys: 3, upstreamHeaders: 2, byokKeys: 3, failures: [] });
    for (const sealed of await allCiphertexts(t.db)) expect(rotated.keyIdOf(sealed)).toBe("k2");
    await expectAllOpen(t.db, rotated);
    // k1 can now leave the ring.
    await expectAllOpen(t.db, createSecretBox(ring("k2")));
    expect(await reencryptAll(t.db, rotated)).toEqual({ upstreamKeys: 0, upstreamHeaders: 0, byokKeys: 0, failures: [] });
  });

  it("never overwrites an owner's concurrent write", async () => {
    const target = (await findUpstreamForRoute(t.db, [alice], "a"))!;
    const targetAad = upstreamApiKeyAad(alice, target.id);
    let raced = 0;
    // Between reading a row and swapping in its re-sealed value, the owner changes their key,
    // and replaces a BYOK key (which gives the row a new id).
    const racing: SecretBox = {
      currentKeyId: rotated.currentKeyId,
      keyIdOf: (s) => rotated.keyIdOf(s),
      encrypt: (p, aad) => rotated.encrypt(p, aad),
      async decrypt(sealed, aad) {
        const plain = await rotated.decrypt(sealed, aad);
        if (aad === targetAad) {
          raced++;
          await updateUpstream(t.db, rotated, alice, target.id, { apiKey: "sk-alice-new-00000000" });
        }
        if (plain === "sk-bob-byok-000000000") {
          raced++;
          await saveByokKey(t.db, rotated, bob, "openai", "sk-bob-new-0000000000");
        }
        return plain;
      },
    };
    const result = await reencryptAll(t.db, racing);
    expect(raced).toBe(2);
    expect(result).toEqual({ upstreamKeys: 2, upstreamHeaders: 2, byokKeys: 2, failures: [] });
    expect((await openUpstreamSecrets(rotated, (await findUpstreamForRoute(t.db, [alice], "a"))!)).apiKey).toBe("sk-alice-new-00000000");
    expect(await openByokKey(rotated, (await findByokKey(t.db, [bob], "openai"))!)).toBe("sk-bob-new-0000000000");
    expect(await listByokKeys(t.db, bob)).toHaveLength(1);
    for (const sealed of await allCiphertexts(t.db)) expect(rotated.keyIdOf(sealed)).toBe("k2");
  });

  it("reports values it cannot open (key gone from the ring) without secrets, and re-seals the rest", async () => {
    await saveByokKey(t.db, createSecretBox(ring("lost")), acme, "together", "tgp-lost-key-000000000");
    const result = await reencryptAll(t.db, rotated);
    expect(result).toMatchObject({ upstreamKeys: 3, upstreamHeaders: 2, byokKeys: 3 });
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]).toMatch(/^byok_keys byok_\w+ key_enc: sealed with unknown key id "lost"$/);
  });
});

const pgUp = await serviceAvailable("postgres");

describe.skipIf(!pgUp)("npm run secrets:reencrypt", () => {
  let t: (TestDb & { url: string }) | undefined;
  afterAll(async () => {
    await t?.close();
  });

  it("re-seals a PostgreSQL database's secrets and prints counts, never secrets", async () => {
    t = await postgresDb();
    if (!t) throw new Error("postgres did not open");
    await seedOwners(t.db);
    await seedSecrets(t.db);
    const env = { ...process.env, DATABASE_URL: t.url, GATEWAY_ENCRYPTION_KEYS: ringSpec("k1", "k2") };
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "scripts/reencrypt-secrets.ts"], { env, timeout: 60_000 });
    expect(stdout.trim()).toBe('postgres database: re-sealed under key "k2": 3 upstream key(s), 2 upstream header set(s), 3 BYOK key(s); 0 failure(s)');
    for (const text of [stdout, stderr]) {
      expect(text).not.toContain("sk-alice");
      expect(text).not.toContain(ringSpec("k2").slice(3, 20));
    }
    for (const sealed of await allCiphertexts(t.db)) expect(rotated.keyIdOf(sealed)).toBe("k2");
    await expectAllOpen(t.db, createSecretBox(ring("k2")));
  });

  it("refuses to run without GATEWAY_ENCRYPTION_KEYS", async () => {
    const env = { ...process.env, DATABASE_URL: t?.url ?? "", GATEWAY_ENCRYPTION_KEYS: "" };
    const err = await run(process.execPath, ["--import", "tsx", "scripts/reencrypt-secrets.ts"], { env, timeout: 60_000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 1, stderr: expect.stringContaining("GATEWAY_ENCRYPTION_KEYS is not set") });
  });
});
