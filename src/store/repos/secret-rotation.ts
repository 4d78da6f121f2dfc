// The queries key rotation runs (credentials/reencrypt.ts): pages of sealed values by id, and
// compare-and-swap updates that replace a ciphertext only where it is still the one read.
import { and, asc, eq, gt } from "drizzle-orm";
import type { Owner } from "../../domain/owner.ts";
import type { Db } from "../db.ts";
import { rowOwner } from "../owner.ts";
import { byokKeys, customUpstreams } from "../schema/index.ts";

export interface SealedUpstreamRow {
  id: string;
  owner: Owner;
  apiKeyEnc: string;
  extraHeadersEnc: string | null;
}

export interface SealedByokRow {
  id: string;
  owner: Owner;
  provider: string;
  keyEnc: string;
}

const u = customUpstreams;
const b = byokKeys;

/** Upstreams with ids after `after`, in id order. */
export async function upstreamSecretsAfter(db: Db, after: string, limit: number): Promise<SealedUpstreamRow[]> {
  const rows = await db
    .select({ id: u.id, ownerUserId: u.ownerUserId, ownerOrgId: u.ownerOrgId, apiKeyEnc: u.apiKeyEnc, extraHeadersEnc: u.extraHeadersEnc })
    .from(u)
    .where(gt(u.id, after))
    .orderBy(asc(u.id))
    .limit(limit);
  return rows.map(({ ownerUserId, ownerOrgId, ...rest }) => ({ ...rest, owner: rowOwner({ ownerUserId, ownerOrgId }) }));
}

/** BYOK keys with ids after `after`, in id order. */
export async function byokSecretsAfter(db: Db, after: string, limit: number): Promise<SealedByokRow[]> {
  const rows = await db
    .select({ id: b.id, ownerUserId: b.ownerUserId, ownerOrgId: b.ownerOrgId, provider: b.provider, keyEnc: b.keyEnc })
    .from(b)
    .where(gt(b.id, after))
    .orderBy(asc(b.id))
    .limit(limit);
  return rows.map(({ ownerUserId, ownerOrgId, ...rest }) => ({ ...rest, owner: rowOwner({ ownerUserId, ownerOrgId }) }));
}

/** Replaces an upstream's sealed key with `next` only where it is still `current`; true when it did. */
export async function swapUpstreamKey(db: Db, id: string, current: string, next: string): Promise<boolean> {
  const done = await db.update(u).set({ apiKeyEnc: next }).where(and(eq(u.id, id), eq(u.apiKeyEnc, current))).returning({ id: u.id });
  return done.length > 0;
}

/** Replaces an upstream's sealed headers with `next` only where they are still `current`. */
export async function swapUpstreamHeaders(db: Db, id: string, current: string, next: string): Promise<boolean> {
  const done = await db.update(u).set({ extraHeadersEnc: next }).where(and(eq(u.id, id), eq(u.extraHeadersEnc, current))).returning({ id: u.id });
  return done.length > 0;
}

/** Replaces a sealed BYOK key with `next` only where it is still `current`. */
export async function swapByokKey(db: Db, id: string, current: string, next: string): Promise<boolean> {
  const done = await db.update(b).set({ keyEnc: next }).where(and(eq(b.id, id), eq(b.keyEnc, current))).returning({ id: b.id });
  return done.length > 0;
}
