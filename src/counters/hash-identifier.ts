// Identifiers such as client IPs go into counter keys only as hashes, so Redis never holds them.
import { bytesToBase64Url } from "../encoding/base64.ts";

// 16 bytes (128 bits, 22 base64url characters): collisions are out of reach, keys stay short.
const HASH_BYTES = 16;
const encoder = new TextEncoder();
const hmacKeys = new Map<string, Promise<CryptoKey>>();

function hmacKey(pepper: string): Promise<CryptoKey> {
  let key = hmacKeys.get(pepper);
  if (key === undefined) {
    key = crypto.subtle.importKey("raw", encoder.encode(pepper), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    hmacKeys.set(pepper, key);
  }
  return key;
}

/**
 * SHA-256 of `value`, truncated to 128 bits, base64url. With a `pepper` (a server secret) it is
 * HMAC-SHA-256 instead — use one for IPs: there are only 2^32 IPv4 addresses, so a plain hash
 * of one can be reversed by trying them all.
 */
export async function hashIdentifier(value: string, pepper?: string): Promise<string> {
  const data = encoder.encode(value);
  const digest =
    pepper === undefined
      ? await crypto.subtle.digest("SHA-256", data)
      : await crypto.subtle.sign("HMAC", await hmacKey(pepper), data);
  return bytesToBase64Url(new Uint8Array(digest, 0, HASH_BYTES));
}
