// The one lookup the chat pipeline makes for owner-supplied credentials: the caller's enabled
// custom upstreams and BYOK keys for a provider id, across every owner the caller may act as.
// Two small queries, run together; secrets stay sealed here (opened by the caller of this).
import { and, eq, inArray, or, type SQL } from "drizzle-orm";
import type { Owner } from "../auth/caller.ts";
import type { Db } from "../db/db.ts";
import { rowOwner } from "../db/owner.ts";
import { byokKeys, customUpstreams, orgMemberships } from "../db/schema/index.ts";

/** Whose resources a request may use, in the order they win. */
export type OwnerScope =
  /** Acting for one organization (x-gateway-org, or an organization's own key). */
  | { kind: "org"; orgId: string }
  /** A user without x-gateway-org: their own resources, then their organizations'. */
  | { kind: "user"; userId: string };

export interface UpstreamRow {
  id: string;
  owner: Owner;
  baseUrl: string;
  apiKeyEnc: string;
  extraHeadersEnc: string | null;
  models: unknown;
}

export interface ByokRow {
  id: string;
  owner: Owner;
  provider: string;
  keyEnc: string;
}

interface OwnerColumns {
  ownerUserId: typeof customUpstreams.ownerUserId | typeof byokKeys.ownerUserId;
  ownerOrgId: typeof customUpstreams.ownerOrgId | typeof byokKeys.ownerOrgId;
}

function scopeFilter(db: Db, table: OwnerColumns, scope: OwnerScope): SQL | undefined {
  if (scope.kind === "org") return eq(table.ownerOrgId, scope.orgId);
  const memberOf = db.select({ id: orgMemberships.orgId }).from(orgMemberships).where(eq(orgMemberships.userId, scope.userId));
  return or(eq(table.ownerUserId, scope.userId), inArray(table.ownerOrgId, memberOf));
}

/** User-owned rows first, then organizations' by id: a stable, documented precedence. */
const precedence = <T extends { owner: Owner }>(rows: T[]): T[] =>
  rows.sort((a, b) => (a.owner.type === b.owner.type ? a.owner.id.localeCompare(b.owner.id) : a.owner.type === "user" ? -1 : 1));

export async function findCredentialRows(db: Db, scope: OwnerScope, providerId: string): Promise<{ upstream: UpstreamRow | undefined; byok: ByokRow | undefined }> {
  const [upstreams, keys] = await Promise.all([
    db
      .select({
        id: customUpstreams.id,
        ownerUserId: customUpstreams.ownerUserId,
        ownerOrgId: customUpstreams.ownerOrgId,
        baseUrl: customUpstreams.baseUrl,
        apiKeyEnc: customUpstreams.apiKeyEnc,
        extraHeadersEnc: customUpstreams.extraHeadersEnc,
        models: customUpstreams.models,
      })
      .from(customUpstreams)
      .where(and(eq(customUpstreams.providerId, providerId), eq(customUpstreams.enabled, true), scopeFilter(db, customUpstreams, scope))),
    db
      .select({ id: byokKeys.id, ownerUserId: byokKeys.ownerUserId, ownerOrgId: byokKeys.ownerOrgId, provider: byokKeys.provider, keyEnc: byokKeys.keyEnc })
      .from(byokKeys)
      .where(and(eq(byokKeys.provider, providerId), scopeFilter(db, byokKeys, scope))),
  ]);
  const upstream = precedence(upstreams.map(({ ownerUserId, ownerOrgId, ...rest }) => ({ ...rest, owner: rowOwner({ ownerUserId, ownerOrgId }) })))[0];
  const byok = precedence(keys.map(({ ownerUserId, ownerOrgId, ...rest }) => ({ ...rest, owner: rowOwner({ ownerUserId, ownerOrgId }) })))[0];
  return { upstream, byok };
}
