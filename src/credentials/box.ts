// AES-256-GCM sealing of secrets at rest (upstream API keys) with Web Crypto.
// Sealed form: v1.<keyId>.<base64url iv>.<base64url ciphertext+tag>, so the key that sealed a
// value is visible for rotation without decrypting.

import { base64UrlToBytes, bytesToBase64Url } from "../encoding/base64.ts";
import type { ParsedKeyRing } from "./keyring.ts";

const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Decryption failed. The message never contains plaintext, ciphertext or key material. */
export class SecretDecryptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecretDecryptError";
  }
}

export interface SecretBox {
  /** Seals with the newest key. */
  encrypt(plaintext: string, aad: string): Promise<string>;
  /** Opens with whichever ring key sealed the value; wrong AAD or tampering throws SecretDecryptError. */
  decrypt(sealed: string, aad: string): Promise<string>;
  /** Key id a sealed value was made with (compare with currentKeyId to find values to re-seal). */
  keyIdOf(sealed: string): string;
  readonly currentKeyId: string;
}

interface Sealed {
  keyId: string;
  iv: Uint8Array<ArrayBuffer>;
  data: Uint8Array<ArrayBuffer>;
}

function parseSealed(sealed: string): Sealed {
  const parts = sealed.split(".");
  const [version, keyId, ivText, dataText] = parts;
  if (parts.length !== 4 || version !== VERSION || !keyId || ivText === undefined || dataText === undefined) {
    throw new SecretDecryptError("not a sealed secret (expected v1.<keyId>.<iv>.<data>)");
  }
  const iv = base64UrlToBytes(ivText);
  const data = base64UrlToBytes(dataText);
  if (iv === null || iv.length !== IV_BYTES || data === null || data.length < TAG_BYTES) {
    throw new SecretDecryptError("sealed secret is malformed");
  }
  return { keyId, iv, data };
}

/**
 * Binds a ciphertext to its owner and purpose, so a value copied to another row, owner or
 * field fails to decrypt. JSON keeps the encoding unambiguous whatever the ids contain.
 */
export function secretAad(owner: { type: "user" | "org"; id: string }, purpose: string): string {
  return JSON.stringify(["edgegate-secret", owner.type, owner.id, purpose]);
}

export function createSecretBox(ring: ParsedKeyRing): SecretBox {
  const encoder = new TextEncoder();
  // One import per key for the life of the box; the promise is cached so concurrent first calls share it.
  const imported = new Map<string, Promise<CryptoKey>>();

  function keyFor(id: string): Promise<CryptoKey> {
    const cached = imported.get(id);
    if (cached) return cached;
    const raw = ring.keyBytes(id);
    if (!raw) return Promise.reject(new SecretDecryptError(`sealed with unknown key id "${id}"`));
    const key = crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
    imported.set(id, key);
    return key;
  }

  return {
    currentKeyId: ring.current,

    async encrypt(plaintext, aad) {
      const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
      const key = await keyFor(ring.current);
      const params = { name: "AES-GCM", iv, additionalData: encoder.encode(aad) };
      const data = await crypto.subtle.encrypt(params, key, encoder.encode(plaintext));
      return [VERSION, ring.current, bytesToBase64Url(iv), bytesToBase64Url(new Uint8Array(data))].join(".");
    },

    async decrypt(sealed, aad) {
      const { keyId, iv, data } = parseSealed(sealed);
      const key = await keyFor(keyId);
      let plain: ArrayBuffer;
      try {
        plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: encoder.encode(aad) }, key, data);
      } catch {
        throw new SecretDecryptError("secret could not be decrypted (wrong AAD, wrong key or tampered data)");
      }
      // fatal: a successfully authenticated plaintext is always valid UTF-8; anything else is a bug.
      return new TextDecoder("utf-8", { fatal: true }).decode(plain);
    },

    keyIdOf(sealed) {
      return parseSealed(sealed).keyId;
    },
  };
}
