import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { Owner } from "../../domain/owner.ts";
import type { Db } from "../db.ts";
import { newId } from "../ids.ts";
import { ownedBy, ownerValues } from "../owner.ts";
import { apiKeys } from "../schema/index.ts";

/** What authentication reads for a presented key. */
export interface ApiKeyRecord {
  id: string;
  ownerUserId: string | null;
  ownerOrgId: string | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  rpmLimit: number | null;
  tpmLimit: number | null;
}

/** A stored key, as its creation answers it (the key itself never reaches storage). */
export interface StoredApiKey {
  id: string;
  prefix: string;
  name: string | null;
  createdAt: Date;
}

export interface ApiKeySummary {
  id: string;
  prefix: string;
  name: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

export interface CreateApiKeyInput {
  owner: Owner;
  name?: string | undefined;
  expiresAt?: Date | undefined;
  rpmLimit?: number | undefined;
  tpmLimit?: number | undefined;
}

/**
 * Stores a key by its hash and display prefix (auth/api-keys.ts mints them). Throws a foreign-key
 * violation (23503) when the owner does not exist.
 */
export async function insertApiKey(db: Db, input: CreateApiKeyInput & { keyHash: string; prefix: string }): Promise<StoredApiKey> {
  const [row] = await db
    .insert(apiKeys)
    .values({
      id: newId("key"),
      keyHash: input.keyHash,
      prefix: input.prefix,
      ...ownerValues(input.owner),
      name: input.name ?? null,
      expiresAt: input.expiresAt ?? null,
      rpmLimit: input.rpmLimit ?? null,
      tpmLimit: input.tpmLimit ?? null,
    })
    .returning({ id: apiKeys.id, prefix: apiKeys.prefix, name: apiKeys.name, createdAt: apiKeys.createdAt });
  if (!row) throw new Error("insert returned no row");
  return row;
}

/** The key with this hash, revoked and expired ones included (the caller decides). */
export async function findApiKeyByHash(db: Db, hash: string): Promise<ApiKeyRecord | undefined> {
  const [row] = await db
    .select({
      id: apiKeys.id,
      ownerUserId: apiKeys.ownerUserId,
      ownerOrgId: apiKeys.ownerOrgId,
      expiresAt: apiKeys.expiresAt,
      revokedAt: apiKeys.revokedAt,
      rpmLimit: apiKeys.rpmLimit,
      tpmLimit: apiKeys.tpmLimit,
    })
    .from(apiKeys)
    .where(eq(apiKeys.keyHash, hash));
  return row;
}

/** The owner's keys, newest first, without their hashes. */
export async function listApiKeys(db: Db, owner: Owner): Promise<ApiKeySummary[]> {
  return db
    .select({
      id: apiKeys.id,
      prefix: apiKeys.prefix,
      name: apiKeys.name,
      createdAt: apiKeys.createdAt,
      lastUsedAt: apiKeys.lastUsedAt,
      expiresAt: apiKeys.expiresAt,
      revokedAt: apiKeys.revokedAt,
    })
    .from(apiKeys)
    .where(ownedBy(apiKeys, owner))
    .orderBy(desc(apiKeys.createdAt), apiKeys.id);
}

/** Marks the owner's key revoked (kept for the record). False when no such live key is theirs. */
export async function revokeApiKey(db: Db, owner: Owner, id: string): Promise<boolean> {
  const rows = await db
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiKeys.id, id), ownedBy(apiKeys, owner), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  return rows.length > 0;
}

/** Records a use of the key. Never moves last_used_at backwards. */
export async function touchApiKey(db: Db, id: string, at: Date): Promise<void> {
  await db
    .update(apiKeys)
    .set({ lastUsedAt: at })
    .where(and(eq(apiKeys.id, id), sql`(${apiKeys.lastUsedAt} is null or ${apiKeys.lastUsedAt} < ${at.toISOString()})`));
}
