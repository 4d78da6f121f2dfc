import type { Role } from "../domain/caller.ts";
import type { ApiKeyRecord } from "../store/repos/api-keys.ts";

export type { ApiKeyRecord };

// What authentication needs to know from storage. The store-backed implementation caches each
// lookup per isolate (cached-identity.ts), so a warm request makes no database round-trip.


export interface UserRecord {
  id: string;
  pepper: string | null;
  blocked: boolean;
}

export interface IdentitySource {
  apiKeyByHash(hash: string): Promise<ApiKeyRecord | undefined>;
  user(id: string): Promise<UserRecord | undefined>;
  role(orgId: string, userId: string): Promise<Role | undefined>;
}
