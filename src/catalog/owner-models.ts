// The custom-upstream models a caller can reach, for GET /v1/models: their own and every
// organization's they belong to (both, never one instead of the other). Only the columns the
// listing shows are read: no ciphertext leaves the database for a catalog.
import { and, eq, inArray, or } from "drizzle-orm";
import type { Caller, Owner } from "../auth/caller.ts";
import type { Db } from "../db/db.ts";
import { rowOwner } from "../db/owner.ts";
import { customUpstreams, orgMemberships } from "../db/schema/index.ts";

export interface OwnerUpstreamModels {
  owner: Owner;
  providerId: string;
  displayName: string;
  models: unknown;
}

export async function ownerUpstreamModels(db: Db, caller: Exclude<Caller, { kind: "anonymous" }>): Promise<OwnerUpstreamModels[]> {
  const whose =
    caller.kind === "org"
      ? eq(customUpstreams.ownerOrgId, caller.orgId)
      : or(
          eq(customUpstreams.ownerUserId, caller.userId),
          inArray(customUpstreams.ownerOrgId, db.select({ id: orgMemberships.orgId }).from(orgMemberships).where(eq(orgMemberships.userId, caller.userId))),
        );
  const rows = await db
    .select({
      ownerUserId: customUpstreams.ownerUserId,
      ownerOrgId: customUpstreams.ownerOrgId,
      providerId: customUpstreams.providerId,
      displayName: customUpstreams.displayName,
      models: customUpstreams.models,
    })
    .from(customUpstreams)
    .where(and(eq(customUpstreams.enabled, true), whose))
    .orderBy(customUpstreams.providerId);
  return rows.map(({ ownerUserId, ownerOrgId, ...rest }) => ({ ...rest, owner: rowOwner({ ownerUserId, ownerOrgId }) }));
}
