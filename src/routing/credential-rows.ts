// The lookup the chat pipeline makes for owner-supplied credentials: the caller's enabled custom
// upstream and BYOK key for a provider id, across every owner the caller may act as, in the
// order they win. Secrets stay sealed here (OwnerCredentials opens them).
import { ownersInScope, type OwnerScope } from "../access/owners.ts";
import type { Db } from "../store/db.ts";
import { findByokKey, type ByokRoute } from "../store/repos/byok.ts";
import { orgsOfUser } from "../store/repos/orgs.ts";
import { findUpstreamForRoute, type UpstreamRoute } from "../store/repos/upstreams.ts";

export type { OwnerScope };

export async function findCredentialRows(db: Db, scope: OwnerScope, providerId: string): Promise<{ upstream: UpstreamRoute | undefined; byok: ByokRoute | undefined }> {
  const owners = await ownersInScope(async (userId) => (await orgsOfUser(db, userId)).map((o) => o.orgId), scope);
  const [upstream, byok] = await Promise.all([findUpstreamForRoute(db, owners, providerId), findByokKey(db, owners, providerId)]);
  return { upstream, byok };
}
