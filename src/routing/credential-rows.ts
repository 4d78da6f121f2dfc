// The lookup the chat pipeline makes for owner-supplied credentials: the caller's enabled custom
// upstream and BYOK key for a provider id, across every owner the caller may act as, in the
// order they win. Secrets stay sealed here (OwnerRoutes opens them).
import type { Owner } from "../domain/caller.ts";
import type { Db } from "../store/db.ts";
import { findByokKey, type ByokRoute } from "../store/repos/byok.ts";
import { orgsOfUser } from "../store/repos/orgs.ts";
import { findUpstreamForRoute, type UpstreamRoute } from "../store/repos/upstreams.ts";

/** Whose resources a request may use. */
export type OwnerScope =
  /** Acting for one organization (x-gateway-org, or an organization's own key). */
  | { kind: "org"; orgId: string }
  /** A user without x-gateway-org: their own resources, then their organizations' (by id). */
  | { kind: "user"; userId: string };

/** The owners of a scope, highest precedence first. */
export async function scopeOwners(db: Db, scope: OwnerScope): Promise<Owner[]> {
  if (scope.kind === "org") return [{ type: "org", id: scope.orgId }];
  const orgs = await orgsOfUser(db, scope.userId);
  return [{ type: "user", id: scope.userId }, ...orgs.map((o): Owner => ({ type: "org", id: o.orgId }))];
}

export async function findCredentialRows(db: Db, scope: OwnerScope, providerId: string): Promise<{ upstream: UpstreamRoute | undefined; byok: ByokRoute | undefined }> {
  const owners = await scopeOwners(db, scope);
  const [upstream, byok] = await Promise.all([findUpstreamForRoute(db, owners, providerId), findByokKey(db, owners, providerId)]);
  return { upstream, byok };
}
