import { GatewayError } from "../http/errors.ts";
import { ANONYMOUS, type Caller, type KeyLimits } from "../domain/caller.ts";
import { API_KEY_PREFIX, sha256Hex, type KeyHasher } from "./hash-key.ts";
import type { IdentitySource, UserRecord } from "./identity-source.ts";
import type { JwtVerifier } from "./jwt.ts";

export interface IdentifyDeps {
  identities: IdentitySource;
  verifyJwt: JwtVerifier | null;
  now: () => number;
  /** SHA-256 hex of a presented API key; an adapter may supply a faster one (default: Web Crypto). */
  hashKey?: KeyHasher;
}

const invalid = (message: string) => new GatewayError(401, "invalid_token", message);

/**
 * Pipeline step "identify caller" (API.md "Authentication"): a gateway API key or an operator
 * JWT in `Authorization: Bearer`, or nobody. `x-gateway-org` then picks the organization the
 * caller acts for, which they must belong to.
 */
export async function identify(request: Request, deps: IdentifyDeps): Promise<Caller> {
  const header = request.headers.get("authorization");
  const orgId = request.headers.get("x-gateway-org");
  if (header === null) {
    if (orgId !== null) throw new GatewayError(401, "missing_token", "Acting for an organization requires a token.");
    return ANONYMOUS;
  }
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  if (!match) throw invalid("The Authorization header must be `Bearer <token>`.");
  const token = match[1]!;

  if (token.startsWith(API_KEY_PREFIX)) return fromApiKey(token, orgId, deps);

  if (!deps.verifyJwt) throw invalid("The token is not a gateway API key, and JWT authentication is not configured.");
  const claims = await deps.verifyJwt(token);
  const user = await activeUser(claims.sub, deps);
  // A pepper on the user row must be matched by the token: rotating it revokes older tokens.
  if (user.pepper !== null && claims.pepper !== user.pepper) {
    throw new GatewayError(401, "token_revoked", "The token has been revoked.");
  }
  return asUser(user.id, "jwt", null, { rpm: null, tpm: null }, orgId, deps);
}

async function fromApiKey(token: string, orgId: string | null, deps: IdentifyDeps): Promise<Caller> {
  const key = await deps.identities.apiKeyByHash(await (deps.hashKey ?? sha256Hex)(token));
  if (!key) throw invalid("Unknown API key.");
  if (key.revokedAt !== null) throw new GatewayError(401, "token_revoked", "The API key has been revoked.");
  if (key.expiresAt !== null && key.expiresAt.getTime() <= deps.now()) {
    throw new GatewayError(401, "token_expired", "The API key has expired.");
  }
  const limits: KeyLimits = { rpm: key.rpmLimit, tpm: key.tpmLimit };
  if (key.ownerOrgId !== null) {
    if (orgId !== null && orgId !== key.ownerOrgId) {
      throw new GatewayError(403, "not_org_member", "This API key belongs to another organization.");
    }
    return { kind: "org", orgId: key.ownerOrgId, via: "api_key", apiKeyId: key.id, limits };
  }
  if (key.ownerUserId === null) throw invalid("Unknown API key.");
  const user = await activeUser(key.ownerUserId, deps);
  return asUser(user.id, "api_key", key.id, limits, orgId, deps);
}

async function activeUser(id: string, deps: IdentifyDeps): Promise<UserRecord> {
  const user = await deps.identities.user(id);
  if (!user) throw invalid("The token's user does not exist.");
  if (user.blocked) throw new GatewayError(403, "user_blocked", "This account is blocked.");
  return user;
}

async function asUser(
  userId: string,
  via: "jwt" | "api_key",
  apiKeyId: string | null,
  limits: KeyLimits,
  orgId: string | null,
  deps: IdentifyDeps,
): Promise<Caller> {
  if (orgId === null) return { kind: "user", userId, via, apiKeyId, org: null, limits };
  const role = await deps.identities.role(orgId, userId);
  if (!role) throw new GatewayError(403, "not_org_member", "You are not a member of this organization.", "x-gateway-org");
  return { kind: "user", userId, via, apiKeyId, org: { id: orgId, role }, limits };
}
