// Custom OpenAI-compatible upstreams. Secrets are sealed here, before they reach a query, with
// AAD bound to owner + row id + field: a ciphertext copied to another row, owner or column no
// longer opens. Listing and catalog queries never select the ciphertext columns.
import { and, eq, or, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { Owner } from "../../auth/caller.ts";
import { secretAad, type SecretBox } from "../../secrets/index.ts";
import type { Db } from "../db.ts";
import { newId } from "../ids.ts";
import { ownedBy, ownerValues, rowOwner } from "../owner.ts";
import { customUpstreams } from "../schema/index.ts";

/** One model of a custom upstream; prices in microdollars per token (may be fractional). */
export const upstreamModelSchema = z.object({
  id: z.string().min(1).max(256),
  name: z.string().max(256).optional(),
  context_length: z.number().int().positive().optional(),
  input_price: z.number().nonnegative().optional(),
  output_price: z.number().nonnegative().optional(),
});
export const upstreamModelsSchema = z.array(upstreamModelSchema);
export type UpstreamModel = z.output<typeof upstreamModelSchema>;

// Names the gateway or its HTTP transport controls: credentials, the target, the connection, and
// the body's framing, type and encoding, and what answer it accepts. An extra header setting one
// would be overridden at best and break every call at worst (`expect`, `content-encoding`).
const RESERVED_HEADERS = new Set([
  "authorization", "cookie", "host", "connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade",
  "expect", "accept", "accept-encoding", "range", "http2-settings", "forwarded", "via", "max-forwards",
]);
const RESERVED_PREFIXES = ["content-", "proxy-", "sec-", "if-"];

/** True for a (lower-case) header name an extra header may not set. */
export const isReservedHeader = (name: string): boolean => RESERVED_HEADERS.has(name) || RESERVED_PREFIXES.some((p) => name.startsWith(p));
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Header values are byte strings; CR/LF/NUL would split or end a header.
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
export const MAX_EXTRA_HEADERS = 32;
/** Names and values together: with the gateway's own headers this stays under common server limits (8 KiB a header block at least). */
export const MAX_EXTRA_HEADER_BYTES = 4096;

/**
 * A credential as it must travel in a header: visible ASCII, spaces only inside. One that is
 * saved but cannot be sent (a pasted line break, surrounding spaces HTTP would strip) is refused.
 */
export const credentialSchema = z
  .string()
  .min(1)
  .max(4096)
  .regex(/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/, "must be printable ASCII without surrounding spaces or line breaks");

/** Extra headers as stored (and accepted in bodies): names lower-cased, reserved ones refused. */
export const extraHeadersSchema = z
  .record(z.string(), z.string().max(4096).regex(HEADER_VALUE, "must not contain control characters other than tab"))
  .superRefine((headers, ctx) => {
    const seen = new Set<string>();
    const names = Object.keys(headers);
    if (names.length > MAX_EXTRA_HEADERS) ctx.addIssue({ code: "custom", message: `at most ${MAX_EXTRA_HEADERS} headers` });
    const bytes = names.reduce((n, name) => n + name.length + (headers[name]?.length ?? 0), 0);
    if (bytes > MAX_EXTRA_HEADER_BYTES) ctx.addIssue({ code: "custom", message: `at most ${MAX_EXTRA_HEADER_BYTES} bytes of names and values together` });
    for (const name of names) {
      const lower = name.toLowerCase();
      let problem: string | undefined;
      if (!HEADER_NAME.test(name)) problem = "is not a valid header name";
      else if (isReservedHeader(lower)) problem = "is set by the gateway or its HTTP transport and cannot be overridden";
      else if (seen.has(lower)) problem = "appears twice (header names are case-insensitive)";
      if (problem) ctx.addIssue({ code: "custom", message: `header "${name}" ${problem}`, path: [name] });
      seen.add(lower);
    }
  })
  .transform((headers) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])));

/** What responses show instead of a secret: its last four characters, unless that would reveal too much. */
export const secretHint = (secret: string): string => (secret.length >= 12 ? `…${secret.slice(-4)}` : "…");

export const upstreamApiKeyAad = (owner: Owner, id: string) => secretAad(owner, `custom_upstream:${id}:api_key`);
export const upstreamHeadersAad = (owner: Owner, id: string) => secretAad(owner, `custom_upstream:${id}:extra_headers`);

/** A custom upstream without its secrets: what listings and responses are built from. */
export interface UpstreamSummary {
  id: string;
  owner: Owner;
  providerId: string;
  displayName: string;
  baseUrl: string;
  apiKeyHint: string;
  extraHeaderNames: string[];
  models: UpstreamModel[];
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** The sealed secrets of one upstream plus what is needed to open them. */
export interface SealedUpstream {
  id: string;
  owner: Owner;
  apiKeyEnc: string;
  extraHeadersEnc: string | null;
}

/** What the chat pipeline needs to route to an upstream (secrets still sealed). */
export interface UpstreamRoute extends SealedUpstream {
  providerId: string;
  displayName: string;
  baseUrl: string;
  models: UpstreamModel[];
}

export interface UpstreamModels {
  owner: Owner;
  providerId: string;
  displayName: string;
  models: UpstreamModel[];
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

const t = customUpstreams;
const ownerCols = { ownerUserId: t.ownerUserId, ownerOrgId: t.ownerOrgId };
const summaryCols = {
  id: t.id,
  ...ownerCols,
  providerId: t.providerId,
  displayName: t.displayName,
  baseUrl: t.baseUrl,
  apiKeyHint: t.apiKeyHint,
  extraHeaderNames: t.extraHeaderNames,
  models: t.models,
  enabled: t.enabled,
  createdAt: t.createdAt,
  updatedAt: t.updatedAt,
};

/** Stored JSON is validated on every read: a hand-edited row must fail loudly, not route oddly. */
export function parseModels(raw: unknown, id: string): UpstreamModel[] {
  const parsed = upstreamModelsSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`custom upstream ${id} has malformed models: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  return parsed.data;
}

function toSummary({ ownerUserId, ownerOrgId, models, ...rest }: { ownerUserId: string | null; ownerOrgId: string | null; models: unknown } & Omit<UpstreamSummary, "owner" | "models">): UpstreamSummary {
  return { ...rest, owner: rowOwner({ ownerUserId, ownerOrgId }), models: parseModels(models, rest.id) };
}

const sameOwner = (a: Owner, b: Owner) => a.type === b.type && a.id === b.id;

/** Rows of any of `owners`; undefined (match nothing) is handled by callers returning early. */
const ownedByAny = (owners: readonly Owner[]): SQL | undefined => or(...owners.map((o) => ownedBy(t, o)));

/** Orders rows by their owner's position in `owners` (the caller's precedence). */
function byOwnerOrder<R extends { owner: Owner }>(owners: readonly Owner[], rows: R[]): R[] {
  const rank = (o: Owner) => owners.findIndex((x) => sameOwner(x, o));
  return rows.sort((a, b) => rank(a.owner) - rank(b.owner));
}

/** Validated (and names lower-cased) here too, so no caller can store a header the gateway must not send. */
async function sealHeaders(box: SecretBox, owner: Owner, id: string, input: Record<string, string> | null | undefined) {
  const headers = extraHeadersSchema.parse(input ?? {});
  const names = Object.keys(headers);
  if (names.length === 0) return { extraHeadersEnc: null, extraHeaderNames: [] };
  return { extraHeadersEnc: await box.encrypt(JSON.stringify(headers), upstreamHeadersAad(owner, id)), extraHeaderNames: names };
}

/** Throws a unique violation (23505) when the owner already has this provider_id. */
export async function createUpstream(db: Db, box: SecretBox, input: NewUpstream): Promise<UpstreamSummary> {
  const id = newId("ups");
  const [row] = await db
    .insert(t)
    .values({
      id,
      ...ownerValues(input.owner),
      providerId: input.providerId,
      displayName: input.displayName,
      baseUrl: input.baseUrl,
      apiKeyEnc: await box.encrypt(input.apiKey, upstreamApiKeyAad(input.owner, id)),
      apiKeyHint: secretHint(input.apiKey),
      ...(await sealHeaders(box, input.owner, id, input.extraHeaders)),
      models: input.models ?? [],
      enabled: input.enabled ?? true,
    })
    .returning(summaryCols);
  if (!row) throw new Error("insert returned no row");
  return toSummary(row);
}

/** Every upstream of these owners, in owner order, then by provider_id. */
export async function listUpstreams(db: Db, owners: readonly Owner[]): Promise<UpstreamSummary[]> {
  if (owners.length === 0) return [];
  const rows = await db.select(summaryCols).from(t).where(ownedByAny(owners)).orderBy(t.providerId, t.id);
  return byOwnerOrder(owners, rows.map(toSummary));
}

export async function getUpstream(db: Db, owner: Owner, id: string): Promise<UpstreamSummary | undefined> {
  const [row] = await db.select(summaryCols).from(t).where(and(eq(t.id, id), ownedBy(t, owner)));
  return row && toSummary(row);
}

/** The upstream with this id whoever owns it: for routes, which check access on its owner next. */
export async function locateUpstream(db: Db, id: string): Promise<UpstreamSummary | undefined> {
  const [row] = await db.select(summaryCols).from(t).where(eq(t.id, id));
  return row && toSummary(row);
}

/** The sealed secrets of one upstream, for a test call or discovery. */
export async function getSealedUpstream(db: Db, owner: Owner, id: string): Promise<SealedUpstream | undefined> {
  const [row] = await db
    .select({ id: t.id, ...ownerCols, apiKeyEnc: t.apiKeyEnc, extraHeadersEnc: t.extraHeadersEnc })
    .from(t)
    .where(and(eq(t.id, id), ownedBy(t, owner)));
  if (!row) return undefined;
  const { ownerUserId, ownerOrgId, ...rest } = row;
  return { ...rest, owner: rowOwner({ ownerUserId, ownerOrgId }) };
}

/**
 * Changes an upstream; undefined when the owner has none with this id. `box` is needed only
 * when the patch carries a secret. Throws 23505 when a new provider_id is taken.
 */
export async function updateUpstream(db: Db, box: SecretBox | null, owner: Owner, id: string, patch: UpstreamPatch): Promise<UpstreamSummary | undefined> {
  const needsBox = patch.apiKey !== undefined || patch.extraHeaders !== undefined;
  if (needsBox && !box) throw new Error("updateUpstream: sealing a secret needs a SecretBox");
  const secrets = box && needsBox
    ? {
        ...(patch.apiKey !== undefined ? { apiKeyEnc: await box.encrypt(patch.apiKey, upstreamApiKeyAad(owner, id)), apiKeyHint: secretHint(patch.apiKey) } : {}),
        ...(patch.extraHeaders !== undefined ? await sealHeaders(box, owner, id, patch.extraHeaders) : {}),
      }
    : {};
  const [row] = await db
    .update(t)
    .set({
      ...(patch.providerId !== undefined ? { providerId: patch.providerId } : {}),
      ...(patch.displayName !== undefined ? { displayName: patch.displayName } : {}),
      ...(patch.baseUrl !== undefined ? { baseUrl: patch.baseUrl } : {}),
      ...(patch.models !== undefined ? { models: patch.models } : {}),
      ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
      ...secrets,
      updatedAt: new Date(),
    })
    .where(and(eq(t.id, id), ownedBy(t, owner)))
    .returning(summaryCols);
  return row && toSummary(row);
}

export async function deleteUpstream(db: Db, owner: Owner, id: string): Promise<boolean> {
  const rows = await db.delete(t).where(and(eq(t.id, id), ownedBy(t, owner))).returning({ id: t.id });
  return rows.length > 0;
}

/**
 * For the chat pipeline: the first enabled upstream named `providerId` among `owners`, in the
 * order given (so the caller decides precedence). Secrets stay sealed; open them with
 * openUpstreamSecrets.
 */
export async function findUpstreamForRoute(db: Db, owners: readonly Owner[], providerId: string): Promise<UpstreamRoute | undefined> {
  if (owners.length === 0) return undefined;
  const rows = await db
    .select({
      id: t.id,
      ...ownerCols,
      providerId: t.providerId,
      displayName: t.displayName,
      baseUrl: t.baseUrl,
      apiKeyEnc: t.apiKeyEnc,
      extraHeadersEnc: t.extraHeadersEnc,
      models: t.models,
    })
    .from(t)
    .where(and(eq(t.providerId, providerId), eq(t.enabled, true), ownedByAny(owners)));
  const routes = rows.map(({ ownerUserId, ownerOrgId, models, ...rest }) => ({
    ...rest,
    owner: rowOwner({ ownerUserId, ownerOrgId }),
    models: parseModels(models, rest.id),
  }));
  return byOwnerOrder(owners, routes)[0];
}

/** For GET /v1/models: the enabled upstreams' models of these owners, in owner order. No secrets selected. */
export async function listUpstreamModels(db: Db, owners: readonly Owner[]): Promise<UpstreamModels[]> {
  if (owners.length === 0) return [];
  const rows = await db
    .select({ id: t.id, ...ownerCols, providerId: t.providerId, displayName: t.displayName, models: t.models })
    .from(t)
    .where(and(eq(t.enabled, true), ownedByAny(owners)))
    .orderBy(t.providerId);
  const out = rows.map(({ id, ownerUserId, ownerOrgId, providerId, displayName, models }) => ({
    owner: rowOwner({ ownerUserId, ownerOrgId }),
    providerId,
    displayName,
    models: parseModels(models, id),
  }));
  return byOwnerOrder(owners, out);
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
