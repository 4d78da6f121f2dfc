// The sealed secrets of custom upstreams: the key and the extra headers, each sealed with AAD bound
// to owner + row id + field, so a ciphertext copied to another row, owner or column no longer
// opens. The repository (store/repos/upstreams.ts) only ever sees the sealed values.
import { z } from "zod";
import type { Owner } from "../domain/owner.ts";
import type { Db } from "../store/db.ts";
import { newId } from "../store/ids.ts";
import {
  insertUpstream,
  patchUpstream,
  type SealedHeaders,
  type SealedKey,
  type SealedUpstream,
  type UpstreamModel,
  type UpstreamSummary,
} from "../store/repos/upstreams.ts";
import { extraHeadersSchema } from "../upstreams/header-rules.ts";
import { secretAad, type SecretBox } from "./box.ts";
import { secretHint } from "./hint.ts";

export const upstreamApiKeyAad = (owner: Owner, id: string) => secretAad(owner, `custom_upstream:${id}:api_key`);
export const upstreamHeadersAad = (owner: Owner, id: string) => secretAad(owner, `custom_upstream:${id}:extra_headers`);

async function sealKey(box: SecretBox, owner: Owner, id: string, apiKey: string): Promise<SealedKey> {
  return { apiKeyEnc: await box.encrypt(apiKey, upstreamApiKeyAad(owner, id)), apiKeyHint: secretHint(apiKey) };
}

/** Validated (and names lower-cased) here too, so no caller can store a header the gateway must not send. */
async function sealHeaders(box: SecretBox, owner: Owner, id: string, input: Record<string, string> | null | undefined): Promise<SealedHeaders> {
  const headers = extraHeadersSchema.parse(input ?? {});
  const names = Object.keys(headers);
  if (names.length === 0) return { extraHeadersEnc: null, extraHeaderNames: [] };
  return { extraHeadersEnc: await box.encrypt(JSON.stringify(headers), upstreamHeadersAad(owner, id)), extraHeaderNames: names };
}

export interface NewUpstream {
  owner: Owner;
  providerId: string;
  displayName: string;
  baseUrl: string;
  apiKey: string;
  extraHeaders?: Record<string, string> | undefined;
  models?: UpstreamModel[] | undefined;
  enabled?: boolean | undefined;
}

/** Fields to change; absent = unchanged. `extraHeaders: null` (or `{}`) removes them all. */
export interface UpstreamPatch {
  providerId?: string | undefined;
  displayName?: string | undefined;
  baseUrl?: string | undefined;
  apiKey?: string | undefined;
  extraHeaders?: Record<string, string> | null | undefined;
  models?: UpstreamModel[] | undefined;
  enabled?: boolean | undefined;
}

/** Seals the upstream's secrets and stores it. Throws a unique violation (23505) when the owner already has this provider_id. */
export async function createUpstream(db: Db, box: SecretBox, input: NewUpstream): Promise<UpstreamSummary> {
  const id = newId("ups");
  const { apiKey, extraHeaders, ...rest } = input;
  return insertUpstream(db, { id, ...rest, ...(await sealKey(box, input.owner, id, apiKey)), ...(await sealHeaders(box, input.owner, id, extraHeaders)) });
}

/**
 * Changes an upstream; undefined when the owner has none with this id. `box` is needed only
 * when the patch carries a secret. Throws 23505 when a new provider_id is taken.
 */
export async function updateUpstream(db: Db, box: SecretBox | null, owner: Owner, id: string, patch: UpstreamPatch): Promise<UpstreamSummary | undefined> {
  const { apiKey, extraHeaders, ...rest } = patch;
  if ((apiKey !== undefined || extraHeaders !== undefined) && !box) throw new Error("updateUpstream: sealing a secret needs a SecretBox");
  return patchUpstream(db, owner, id, {
    ...rest,
    ...(box && apiKey !== undefined ? await sealKey(box, owner, id, apiKey) : {}),
    ...(box && extraHeaders !== undefined ? await sealHeaders(box, owner, id, extraHeaders) : {}),
  });
}

const storedHeadersSchema = z.record(z.string(), z.string());

/**
 * Opens an upstream's key and extra headers. Throws SecretDecryptError when a value was sealed
 * for another row or owner, was tampered with, or its key left the ring.
 */
export async function openUpstreamSecrets(box: SecretBox, row: SealedUpstream): Promise<{ apiKey: string; extraHeaders: Record<string, string> }> {
  const apiKey = await box.decrypt(row.apiKeyEnc, upstreamApiKeyAad(row.owner, row.id));
  if (row.extraHeadersEnc === null) return { apiKey, extraHeaders: {} };
  const text = await box.decrypt(row.extraHeadersEnc, upstreamHeadersAad(row.owner, row.id));
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`custom upstream ${row.id} has malformed extra headers (not JSON)`);
  }
  // Checked like a request body, so a header that was never allowed cannot come back from storage.
  const parsed = storedHeadersSchema.pipe(extraHeadersSchema).safeParse(raw);
  if (!parsed.success) throw new Error(`custom upstream ${row.id} has malformed extra headers`);
  return { apiKey, extraHeaders: parsed.data };
}
