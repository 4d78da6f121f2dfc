// Who may see and change owner-scoped secrets (custom upstreams, BYOK keys): a user their own;
// for an organization, members read and admins/owners write. Resources the caller may not see
// answer 404, so ids of other owners' resources are not confirmed.
import { actingOwner, type Caller, type Owner } from "../domain/caller.ts";
import { orgsOfUser } from "../store/repos/orgs.ts";
import { GatewayError } from "../http/errors.ts";
import type { SecretBox } from "../credentials/index.ts";
import type { Services } from "../services.ts";

export type Access = "read" | "write";
export type SignedIn = Exclude<Caller, { kind: "anonymous" }>;

export function signedIn(caller: Caller): SignedIn {
  if (caller.kind === "anonymous") throw new GatewayError(401, "missing_token", "Sign in with an API key or token first.");
  return caller;
}

/** The owner a body's `owner` names; absent = the acting owner (x-gateway-org's organization, else the user). */
export function requestedOwner(caller: SignedIn, ref: { type: "user"; id?: string | undefined } | { type: "org"; id: string } | undefined): Owner {
  if (ref === undefined) {
    const acting = actingOwner(caller);
    if (!acting) throw new GatewayError(401, "missing_token", "Sign in with an API key or token first.");
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
export async function authorize(svc: Services, caller: SignedIn, owner: Owner, access: Access, hidden: () => GatewayError): Promise<void> {
  if (owner.type === "user") {
    if (caller.kind === "user" && caller.userId === owner.id) return;
    throw hidden();
  }
  if (caller.kind === "org") {
    if (caller.orgId !== owner.id) throw hidden();
    // A leaked organization key must not be able to point the organization's traffic elsewhere.
    if (access === "write") throw new GatewayError(403, "not_org_admin", "Organization API keys cannot change an organization's upstreams or keys.");
    return;
  }
  const role = await svc.identities.role(owner.id, caller.userId);
  if (!role) throw hidden();
  if (access === "write" && role === "member") {
    throw new GatewayError(403, "not_org_admin", `Changing organization ${owner.id}'s upstreams or keys needs its admin or owner role.`);
  }
}

/** Everyone whose resources the caller may read: an org key its organization; a user themselves, then each of their organizations. */
export async function readableOwners(svc: Services, caller: SignedIn): Promise<Owner[]> {
  if (caller.kind === "org") return [{ type: "org", id: caller.orgId }];
  const orgs = await orgsOfUser(svc.db, caller.userId);
  return [{ type: "user", id: caller.userId }, ...orgs.map((o): Owner => ({ type: "org", id: o.orgId }))];
}

export function requireSecrets(svc: Services): SecretBox {
  if (svc.secrets) return svc.secrets;
  throw new GatewayError(503, "secrets_unavailable", "Storing or using secrets needs GATEWAY_ENCRYPTION_KEYS, which is not set on this gateway.");
}
