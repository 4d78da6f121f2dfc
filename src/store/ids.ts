import { bytesToBase64Url } from "../credentials/base64.ts";

// Row ids: a short type prefix (so an id in a log says what it names) and 128 random bits.
export function newId(prefix: string): string {
  return `${prefix}_${crypto.randomUUID().replaceAll("-", "")}`;
}

/** `n` random bytes as unpadded base64url (Web Crypto). */
export const randomBase64Url = (n: number): string => bytesToBase64Url(crypto.getRandomValues(new Uint8Array(n)));
