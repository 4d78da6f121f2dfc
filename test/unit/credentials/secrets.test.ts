import { afterEach, describe, expect, it, vi } from "vitest";
import { createSecretBox, parseKeyRing, secretAad, SecretDecryptError } from "../../../src/credentials/index.ts";

function randomKey(bytes = 32): string {
  let binary = "";
  for (const b of crypto.getRandomValues(new Uint8Array(bytes))) binary += String.fromCharCode(b);
  return btoa(binary);
}

const K1 = randomKey();
const K2 = randomKey();
const alice = { type: "user", id: "u-alice" } as const;
const bob = { type: "user", id: "u-bob" } as const;
const aad = secretAad(alice, "upstream:1111:api_key");

afterEach(() => vi.restoreAllMocks());

describe("parseKeyRing", () => {
  it("reads ids in order, newest last", () => {
    const ring = parseKeyRing(`old:${K1}, new:${K2}`);
    expect(ring.ids).toEqual(["old", "new"]);
    expect(ring.current).toBe("new");
  });

  it("never exposes key material when logged or serialised", () => {
    const ring = parseKeyRing(`k1:${K1}`);
    expect(JSON.stringify(ring)).not.toContain(K1.slice(0, 20));
    expect(String(Object.values(ring))).not.toContain(K1.slice(0, 20));
  });

  it.each([
    ["empty", () => "", "is empty"],
    ["blank", () => "   ", "is empty"],
    ["too short", () => `k1:${randomKey(16)}`, 'key "k1" must decode to 32 bytes, got 16'],
    ["too long", () => `k1:${randomKey(33)}`, 'key "k1" must decode to 32 bytes, got 33'],
    ["duplicate id", () => `k1:${K1},k1:${K2}`, 'key id "k1" more than once'],
    ["bad base64", () => `k2:${K2.slice(0, 20)}!!${K2.slice(22)}`, 'key "k2" is not valid base64'],
    ["bad padding", () => `k2:${K2}==`, 'key "k2" is not valid base64'],
    ["missing id", () => K1, "entry 1 is not of the form id:base64key"],
    ["invalid id", () => `k1:${K1},bad.id:${K2}`, "entry 2 has an invalid key id"],
    ["empty id", () => `:${K1}`, "entry 1 has an invalid key id"],
    ["trailing comma", () => `k1:${K1},`, "entry 2 is not of the form"],
  ])("rejects %s", (_name, spec, fragment) => {
    const text = spec();
    let message = "";
    try {
      parseKeyRing(text);
    } catch (err) {
      message = err instanceof Error ? err.message : String(err);
    }
    expect(message).toContain("GATEWAY_ENCRYPTION_KEYS");
    expect(message).toContain(fragment);
    for (const key of [K1, K2]) expect(message).not.toContain(key.slice(0, 12));
  });

  it("accepts base64url keys", () => {
    const url = K1.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    expect(parseKeyRing(`k1:${url}`).current).toBe("k1");
  });
});

describe("SecretBox", () => {
  it("round-trips with a self-describing sealed format", async () => {
    const box = createSecretBox(parseKeyRing(`k1:${K1}`));
    const sealed = await box.encrypt("sk-live-éè-🔑", aad);
    expect(sealed).toMatch(/^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain("sk-live");
    expect(await box.decrypt(sealed, aad)).toBe("sk-live-éè-🔑");
    expect(box.keyIdOf(sealed)).toBe("k1");
    expect(box.currentKeyId).toBe("k1");
  });

  it("uses a fresh IV each time", async () => {
    const box = createSecretBox(parseKeyRing(`k1:${K1}`));
    expect(await box.encrypt("same", aad)).not.toBe(await box.encrypt("same", aad));
  });

  it("decrypts values sealed with an older key after rotation and seals with the newest", async () => {
    const before = createSecretBox(parseKeyRing(`k1:${K1}`));
    const old = await before.encrypt("sk-old", aad);
    const after = createSecretBox(parseKeyRing(`k1:${K1},k2:${K2}`));
    expect(await after.decrypt(old, aad)).toBe("sk-old");
    expect(after.keyIdOf(old)).toBe("k1");
    const fresh = await after.encrypt("sk-new", aad);
    expect(after.keyIdOf(fresh)).toBe("k2");
    expect(after.currentKeyId).toBe("k2");
  });

  it("fails for a key id no longer in the ring", async () => {
    const old = await createSecretBox(parseKeyRing(`k1:${K1}`)).encrypt("sk", aad);
    const box = createSecretBox(parseKeyRing(`k2:${K2}`));
    await expect(box.decrypt(old, aad)).rejects.toThrow(SecretDecryptError);
  });

  it("fails when the ciphertext is copied to another owner or purpose", async () => {
    const box = createSecretBox(parseKeyRing(`k1:${K1}`));
    const sealed = await box.encrypt("sk-alice", aad);
    const wrong = [
      secretAad(bob, "upstream:1111:api_key"),
      secretAad({ type: "org", id: "u-alice" }, "upstream:1111:api_key"),
      secretAad(alice, "upstream:2222:api_key"),
      secretAad(alice, "upstream:1111:other"),
    ];
    for (const other of wrong) {
      const err: unknown = await box.decrypt(sealed, other).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SecretDecryptError);
      if (err instanceof Error) expect(err.message).not.toContain("sk-alice");
    }
  });

  it("keeps the AAD encoding unambiguous", () => {
    expect(secretAad({ type: "user", id: "a|b" }, "c")).not.toBe(secretAad({ type: "user", id: "a" }, "b|c"));
  });

  it("detects tampering", async () => {
    const box = createSecretBox(parseKeyRing(`k1:${K1}`));
    const sealed = await box.encrypt("sk-secret-value", aad);
    const [v, id, iv = "", data = ""] = sealed.split(".");
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);
    const variants = [
      [v, id, flip(iv, 0), data].join("."),
      [v, id, iv, flip(data, 0)].join("."),
      [v, id, iv, flip(data, data.length - 2)].join("."),
      [v, id, iv, data.slice(0, -4)].join("."),
      [v, id, iv].join("."),
      ["v2", id, iv, data].join("."),
      "garbage",
    ];
    for (const bad of variants) {
      const err: unknown = await box.decrypt(bad, aad).catch((e: unknown) => e);
      expect(err, bad).toBeInstanceOf(SecretDecryptError);
      if (err instanceof Error) {
        expect(err.message).not.toContain("sk-secret");
        expect(err.message).not.toContain(K1.slice(0, 12));
      }
    }
  });

  it("imports each key once per box", async () => {
    const spy = vi.spyOn(crypto.subtle, "importKey");
    const box = createSecretBox(parseKeyRing(`k1:${K1},k2:${K2}`));
    const sealed = await Promise.all([box.encrypt("a", aad), box.encrypt("b", aad), box.encrypt("c", aad)]);
    for (const s of sealed) await box.decrypt(s, aad);
    expect(spy).toHaveBeenCalledTimes(1);
    const old = await createSecretBox(parseKeyRing(`k1:${K1}`)).encrypt("old", aad);
    spy.mockClear();
    await box.decrypt(old, aad);
    await box.decrypt(old, aad);
    expect(spy).toHaveBeenCalledTimes(1);
  });
});
