// Custom OpenAI-compatible upstreams. Secrets arrive here already sealed (credentials/upstreams.ts)
// and leave sealed; listing and catalog queries never select the ciphertext columns.
import { and, eq, or, type SQL } from "drizzle-orm";
import { sameOwner, type Owner } from "../../domain/owner.ts";
import { upstreamModelsSchema, type UpstreamModel } from "../../upstreams/model-meta.ts";
import type { Db } from "../db.ts";
import { ownedBy, ownerValues, rowOwner } from "../owner.ts";
import { customUpstreams } from "../schema/index.ts";

export type { UpstreamModel };

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

/** A key and extra headers as stored: sealed, with what responses show instead. */
export interface SealedKey {
  apiKeyEnc: string;
  apiKeyHint: string;
}
export interface SealedHeaders {
  extraHeadersEnc: string | null;
  extraHeaderNames: string[];
}

export interface NewUpstreamRow extends SealedKey, SealedHeaders {
  /** Chosen before sealing: the ciphertexts are bound to it. */
  id: string;
  owner: Owner;
  providerId: string;
  displayName: string;
  baseUrl: string;
  models?: UpstreamModel[] | undefined;
  enabled?: boolean | undefined;
}

/** Fields to change; absent = unchanged. */
export interface UpstreamRowPatch extends Partial<SealedKey>, Partial<SealedHeaders> {
  providerId?: string | undefined;
  displayName?: string | undefined;
  baseUrl?: string | undefined;
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

/** Rows of any of `owners`; undefined (match nothing) is handled by callers returning early. */
const ownedByAny = (owners: readonly Owner[]): SQL | undefined => or(...owners.map((o) => ownedBy(t, o)));

/** Orders rows by their owner's position in `owners` (the caller's precedence). */
function byOwnerOrder<R extends { owner: Owner }>(owners: readonly Owner[], rows: R[]): R[] {
  const rank = (o: Owner) => owners.findIndex((x) => sameOwner(x, o));
  return rows.sort((a, b) => rank(a.owner) - rank(b.owner));
}

/** Throws a unique violation (23505) when the owner already has this provider_id. */
export async function insertUpstream(db: Db, input: NewUpstreamRow): Promise<UpstreamSummary> {
  const [row] = await db
    .insert(t)
    .values({
      id: input.id,
      ...ownerValues(input.owner),
      providerId: input.providerId,
      displayName: input.displayName,
      baseUrl: input.baseUrl,
      apiKeyEnc: input.apiKeyEnc,
      apiKeyHint: input.apiKeyHint,
      extraHeadersEnc: input.extraHeadersEnc,
      extraHeaderNames: input.extraHeaderNames,
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

/** Changes an upstream; undefined when the owner has none with this id. Throws 23505 when a new provider_id is taken. */
export async function patchUpstream(db: Db, owner: Owner, id: string, patch: UpstreamRowPatch): Promise<UpstreamSummary | undefined> {
  const [row] = await db
    .update(t)
    .set({
      ...(patch.providerId !== undefined ? { providerId: patch.providerId } : {}),
      ...(patch.displayName !== undefined ? { displayName: patch.displayName } : {}),
      ...(patch.baseUrl !== undefined ? { baseUrl: patch.baseUrl } : {}),
      ...(patch.models !== undefined ? { models: patch.models } : {}),
      ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
      ...(patch.apiKeyEnc !== undefined ? { apiKeyEnc: patch.apiKeyEnc } : {}),
      ...(patch.apiKeyHint !== undefined ? { apiKeyHint: patch.apiKeyHint } : {}),
      ...(patch.extraHeadersEnc !== undefined ? { extraHeadersEnc: patch.extraHeadersEnc } : {}),
      ...(patch.extraHeaderNames !== undefined ? { extraHeaderNames: patch.extraHeaderNames } : {}),
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
