// GATEWAY_ENCRYPTION_KEYS parsing: "id:base64key[,id:base64key…]", newest last.
// Error messages name the variable and the key id but never echo key material.

import { base64ToBytes, base64UrlToBytes } from "../encoding/base64.ts";

export interface KeyRing {
  /** Id of the newest key: the one new secrets are sealed with. */
  current: string;
  /** All ids, oldest first. */
  ids: string[];
}

const ENV = "GATEWAY_ENCRYPTION_KEYS";
const KEY_BYTES = 32;
const ID_PATTERN = /^[A-Za-z0-9_-]+$/;

/**
 * A validated ring. Raw keys sit in a private field so logging or JSON-serialising the ring
 * cannot print them.
 */
export class ParsedKeyRing implements KeyRing {
  readonly current: string;
  readonly ids: string[];
  readonly #keys: ReadonlyMap<string, Uint8Array<ArrayBuffer>>;

  constructor(keys: ReadonlyMap<string, Uint8Array<ArrayBuffer>>) {
    this.ids = [...keys.keys()];
    const newest = this.ids[this.ids.length - 1];
    if (newest === undefined) throw new Error(`${ENV} holds no keys`);
    this.current = newest;
    this.#keys = keys;
  }

  /** Raw 32-byte key, for import into Web Crypto. */
  keyBytes(id: string): Uint8Array<ArrayBuffer> | undefined {
    return this.#keys.get(id);
  }
}

export function parseKeyRing(spec: string): ParsedKeyRing {
  if (spec.trim() === "") throw new Error(`${ENV} is empty; expected id:base64key[,id:base64key…]`);
  const entries = spec.split(",").map((entry) => entry.trim());
  const keys = new Map<string, Uint8Array<ArrayBuffer>>();
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(":");
    // Without a colon the entry may be a bare key, so only its position is reported.
    if (colon === -1) throw new Error(`${ENV} entry ${index + 1} is not of the form id:base64key`);
    const id = entry.slice(0, colon).trim();
    const encoded = entry.slice(colon + 1).trim();
    if (!ID_PATTERN.test(id)) throw new Error(`${ENV} entry ${index + 1} has an invalid key id (use A-Z a-z 0-9 _ -)`);
    if (keys.has(id)) throw new Error(`${ENV} lists key id "${id}" more than once`);
    const bytes = base64ToBytes(encoded) ?? base64UrlToBytes(encoded);
    if (bytes === null) throw new Error(`${ENV} key "${id}" is not valid base64`);
    if (bytes.length !== KEY_BYTES) {
      throw new Error(`${ENV} key "${id}" must decode to ${KEY_BYTES} bytes, got ${bytes.length}`);
    }
    keys.set(id, bytes);
  });
  return new ParsedKeyRing(keys);
}
