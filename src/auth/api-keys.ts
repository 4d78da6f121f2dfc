// Gateway API keys are minted here and stored only as their SHA-256 hash and a display prefix.
import { randomBase64Url } from "../encoding/base64.ts";
import type { Db } from "../store/db.ts";
import { insertApiKey, type CreateApiKeyInput } from "../store/repos/api-keys.ts";
import { API_KEY_PREFIX, sha256Hex } from "./hash-key.ts";

/** How much of a key is kept for display: "egk_" and 8 characters of its random part. */
export const DISPLAY_PREFIX_LENGTH = 12;

export interface NewApiKey {
  id: string;
  /** The whole key. Shown to its owner once, at creation; only its SHA-256 is stored. */
  key: string;
  prefix: string;
  name: string | null;
  createdAt: Date;
}

/** Mints and stores a key; throws a foreign-key violation (23503) when the owner does not exist. */
export async function createApiKey(db: Db, input: CreateApiKeyInput): Promise<NewApiKey> {
  const key = API_KEY_PREFIX + randomBase64Url(32);
  const stored = await insertApiKey(db, { ...input, keyHash: await sha256Hex(key), prefix: key.slice(0, DISPLAY_PREFIX_LENGTH) });
  return { ...stored, key };
}
