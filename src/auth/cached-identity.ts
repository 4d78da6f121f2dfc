import { TtlCache } from "../cache/ttl-cache.ts";
import type { Db } from "../store/db.ts";
import { findApiKeyByHash } from "../store/repos/api-keys.ts";
import { getRole } from "../store/repos/orgs.ts";
import { getUser } from "../store/repos/users.ts";
import type { Role } from "../domain/caller.ts";
import type { ApiKeyRecord, IdentitySource, UserRecord } from "./identity-source.ts";

/** Lookups of keys, users and memberships, cached per isolate; local writes invalidate them. */
export interface CachedIdentities extends IdentitySource {
  forgetKey(hash: string): void;
  forgetUser(id: string): void;
  forgetRole(orgId: string, userId: string): void;
  /** After a delete whose effects are many rows (a user, an org): drop everything. */
  forgetAll(): void;
}

export interface IdentityCacheOptions {
  ttlMs?: number;
  negativeTtlMs?: number;
  now?: () => number;
}

export function cachedIdentities(db: Db, opts: IdentityCacheOptions = {}): CachedIdentities {
  const common = { ttlMs: opts.ttlMs ?? 30_000, negativeTtlMs: opts.negativeTtlMs ?? 5_000, maxEntries: 10_000, ...(opts.now ? { now: opts.now } : {}) };
  const keys = new TtlCache<ApiKeyRecord>(common);
  const users = new TtlCache<UserRecord>(common);
  const roles = new TtlCache<Role>(common);
  return {
    apiKeyByHash: (hash) => keys.get(hash, () => findApiKeyByHash(db, hash)),
    user: (id) =>
      users.get(id, async () => {
        const u = await getUser(db, id);
        return u && { id: u.id, pepper: u.pepper, blocked: u.blocked };
      }),
    role: (orgId, userId) => roles.get(`${orgId}\u0000${userId}`, () => getRole(db, orgId, userId)),
    forgetKey: (hash) => keys.delete(hash),
    forgetUser: (id) => users.delete(id),
    forgetRole: (orgId, userId) => roles.delete(`${orgId}\u0000${userId}`),
    forgetAll: () => {
      keys.clear();
      users.clear();
      roles.clear();
    },
  };
}
