// Owners' own keys for built-in providers (bring your own key). One per owner and provider; the
// key arrives sealed (credentials/byok-keys.ts) and listings never select it.
import { and, eq, isNotNull, or } from "drizzle-orm";
import type { Owner } from "../../domain/caller.ts";
import type { Db } from "../db.ts";
import { ownedBy, ownerValues, rowOwner } from "../owner.ts";
import { byokKeys } from "../schema/index.ts";

export interface ByokSummary {
  id: string;
  owner: Owner;
  provider: string;
  keyHint: string;
  createdAt: Date;
  updatedAt: Date;
}

/** A sealed key plus what is needed to open it (the chat pipeline's view). */
export interface ByokRoute {
  id: string;
  owner: Owner;
  provider: string;
  keyEnc: string;
}

const t = byokKeys;
const summaryCols = {
  id: t.id,
  ownerUserId: t.ownerUserId,
  ownerOrgId: t.ownerOrgId,
  provider: t.provider,
  keyHint: t.keyHint,
  createdAt: t.createdAt,
  updatedAt: t.updatedAt,
};

const withOwner = <R extends { ownerUserId: string | null; ownerOrgId: string | null }>({ ownerUserId, ownerOrgId, ...rest }: R) => ({
  ...rest,
  owner: rowOwner({ ownerUserId, ownerOrgId }),
});

/**
 * Sets the owner's key for a provider, replacing any earlier one in one statement. A
 * replacement is a new key, so it gets a new row id (and created_at): the ciphertext was sealed
 * for that id, and the id of the old row dies with the old key.
 */
export async function putByokKey(db: Db, owner: Owner, provider: string, sealed: { id: string; keyEnc: string; keyHint: string }): Promise<ByokSummary> {
  const { id, keyEnc, keyHint } = sealed;
  const now = new Date();
  // The unique indexes are partial (one per owner column), so the conflict target names the predicate.
  const target = owner.type === "user"
    ? { target: [t.ownerUserId, t.provider], targetWhere: isNotNull(t.ownerUserId) }
    : { target: [t.ownerOrgId, t.provider], targetWhere: isNotNull(t.ownerOrgId) };
  const [row] = await db
    .insert(t)
    .values({ id, ...ownerValues(owner), provider, keyEnc, keyHint, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({ ...target, set: { id, keyEnc, keyHint, createdAt: now, updatedAt: now } })
    .returning(summaryCols);
  if (!row) throw new Error("upsert returned no row");
  return withOwner(row);
}

export async function listByokKeys(db: Db, owner: Owner): Promise<ByokSummary[]> {
  const rows = await db.select(summaryCols).from(t).where(ownedBy(t, owner)).orderBy(t.provider);
  return rows.map(withOwner);
}

export async function deleteByokKey(db: Db, owner: Owner, provider: string): Promise<boolean> {
  const rows = await db.delete(t).where(and(ownedBy(t, owner), eq(t.provider, provider))).returning({ id: t.id });
  return rows.length > 0;
}

/** For the chat pipeline: the first key for `provider` among `owners`, in the order given. */
export async function findByokKey(db: Db, owners: readonly Owner[], provider: string): Promise<ByokRoute | undefined> {
  if (owners.length === 0) return undefined;
  const rows = await db
    .select({ id: t.id, ownerUserId: t.ownerUserId, ownerOrgId: t.ownerOrgId, provider: t.provider, keyEnc: t.keyEnc })
    .from(t)
    .where(and(eq(t.provider, provider), or(...owners.map((o) => ownedBy(t, o)))));
  const found = rows.map(withOwner);
  for (const o of owners) {
    const hit = found.find((r) => r.owner.type === o.type && r.owner.id === o.id);
    if (hit) return hit;
  }
  return undefined;
}
