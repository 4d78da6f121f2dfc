// The one copy of the ownership rules. A user owns their own resources; an organization's are
// read by its members and written by its admins and owners; an organization's own API key reads
// its organization's and writes nothing that could outlive its revocation (keys, upstreams).
// Resources the caller may not see answer as if they did not exist, so ids of other owners'
// resources are never confirmed.
import { actingOwner, type Caller, type Owner, type Role, type SignedIn } from "../domain/caller.ts";
import { GatewayError } from "../http/errors.ts";

export type Access = "read" | "write";

/** A user's role in an organization, or undefined when they are not a member. */
export type RoleLookup = (orgId: string, userId: string) => Promise<Role | undefined>;

/** The organizations a user belongs to, by id. */
export type OrgsLookup = (userId: string) => Promise<readonly string[]>;

const mustSignIn = () => new GatewayError(401, "missing_token", "Sign in with an API key or token first.");

export function signedIn(caller: Caller): SignedIn {
  if (caller.kind === "anonymous") throw mustSignIn();
  return caller;
}

/** The owner a body's `owner` names; absent = the acting owner (x-gateway-org's organization, else the user). */
export function requestedOwner(caller: SignedIn, ref: { type: "user"; id?: string | undefined } | { type: "org"; id: string } | undefined): Owner {
  if (ref === undefined) {
    const acting = actingOwner(caller);
    if (!acting) throw mustSignIn();
    return acting;
  }
  if (ref.type === "org") return { type: "org", id: ref.id };
  if (caller.kind === "org") throw new GatewayError(403, "not_org_admin", "An organization API key cannot act for a user.", "owner");
  if (ref.id !== undefined && ref.id !== caller.userId) {
    throw new GatewayError(403, "owner_not_allowed", "A user can only save resources of their own (or of an organization they administer).", "owner");
  }
  return { type: "user", id: caller.userId };
}

/**
 * Throws unless `caller` may read or write resources of `owner`. `hidden` is what to throw when
 * the caller may not even see them (404 for an existing resource, 403 not_org_member for a new one).
 */
export async function authorize(roles: RoleLookup, caller: SignedIn, owner: Owner, access: Access, hidden: () => GatewayError): Promise<void> {
  if (owner.type === "user") {
    if (caller.kind === "user" && caller.userId === owner.id) return;
    throw hidden();
  }
  if (caller.kind === "org") {
    if (caller.orgId !== owner.id) throw hidden();
    // A leaked organization key must not be able to point the organization's traffic elsewhere.
    if (access === "write") throw new GatewayError(403, "not_org_admin", "Organization API keys cannot change an organization's upstreams, keys or settings.");
    return;
  }
  const role = await roles(owner.id, caller.userId);
  if (!role) throw hidden();
  if (access === "write" && role === "member") {
    throw new GatewayError(403, "not_org_admin", `Changing organization ${owner.id}'s upstreams, keys or settings needs its admin or owner role.`);
  }
}

/**
 * The owner whose gateway API keys (and BYOK keys) a caller manages: themselves, or with
 * x-gateway-org the organization, whose keys only its admins and owners manage. An organization's
 * own key manages none: a leaked key could otherwise outlive its revocation.
 */
export function keyManager(caller: Caller): Owner {
  const who = signedIn(caller);
  if (who.kind === "org") throw new GatewayError(403, "not_org_admin", "Organization API keys cannot manage keys.");
  if (who.org && who.org.role === "member") {
    throw new GatewayError(403, "not_org_admin", "Managing an organization's keys needs its admin or owner role.");
  }
  return actingOwner(who) ?? { type: "user", id: who.userId };
}

/** Whose resources a request may use. */
export type OwnerScope =
  /** Acting for one organization (x-gateway-org, or an organization's own key). */
  | { kind: "org"; orgId: string }
  /** A user without x-gateway-org: their own resources, then their organizations' (by id). */
  | { kind: "user"; userId: string };

/** What a request acts with: the acting organization's resources, else the user's and their organizations'. */
export function actingScope(caller: SignedIn): OwnerScope {
  if (caller.kind === "org") return { kind: "org", orgId: caller.orgId };
  return caller.org ? { kind: "org", orgId: caller.org.id } : { kind: "user", userId: caller.userId };
}

/** What a caller may list: an organization key its organization; a user everything theirs, whichever org they act for. */
export function readingScope(caller: SignedIn): OwnerScope {
  return caller.kind === "org" ? { kind: "org", orgId: caller.orgId } : { kind: "user", userId: caller.userId };
}

/** The owners of a scope, highest precedence first. */
export async function ownersInScope(orgsOf: OrgsLookup, scope: OwnerScope): Promise<Owner[]> {
  if (scope.kind === "org") return [{ type: "org", id: scope.orgId }];
  const orgs = await orgsOf(scope.userId);
  return [{ type: "user", id: scope.userId }, ...orgs.map((id): Owner => ({ type: "org", id }))];
}
