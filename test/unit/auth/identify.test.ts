import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import type { Role } from "../../../src/domain/caller.ts";
import { sha256Hex } from "../../../src/auth/hash-key.ts";
import { nodeHashKey } from "../../../adapters/node/http/hash-key.ts";
import { identify } from "../../../src/auth/identify.ts";
import type { ApiKeyRecord, IdentitySource, UserRecord } from "../../../src/auth/identity-source.ts";
import { jwtVerifier } from "../../../src/auth/jwt.ts";
import { GatewayError } from "../../../src/http/errors.ts";

const SECRET = "s".repeat(40);
const NOW = Date.UTC(2026, 10, 23);

function source(): IdentitySource & { keys: Map<string, ApiKeyRecord>; users: Map<string, UserRecord>; roles: Map<string, Role> } {
  const keys = new Map<string, ApiKeyRecord>();
  const users = new Map<string, UserRecord>();
  const roles = new Map<string, Role>();
  return {
    keys,
    users,
    roles,
    apiKeyByHash: async (h) => keys.get(h),
    user: async (id) => users.get(id),
    role: async (org, user) => roles.get(`${org}:${user}`),
  };
}

const key = (over: Partial<ApiKeyRecord>): ApiKeyRecord => ({
  id: "key1",
  ownerUserId: "u1",
  ownerOrgId: null,
  expiresAt: null,
  revokedAt: null,
  rpmLimit: 60,
  tpmLimit: null,
  ...over,
});

async function jwt(claims: Record<string, unknown>, exp: number = NOW / 1000 + 600, secret = SECRET) {
  return new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setExpirationTime(exp).sign(new TextEncoder().encode(secret));
}

function req(headers: Record<string, string>) {
  return new Request("http://gw/v1/chat/completions", { method: "POST", headers });
}

async function code(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  return err instanceof GatewayError ? `${err.status} ${err.code}` : "none";
}

describe("identify", () => {
  const s = source();
  s.users.set("u1", { id: "u1", pepper: null, blocked: false });
  s.users.set("u2", { id: "u2", pepper: "pep-2", blocked: false });
  s.users.set("bad", { id: "bad", pepper: null, blocked: true });
  s.roles.set("org1:u1", "admin");
  // Real time for jose's exp check; NOW only drives API-key expiry.
  const deps = { identities: s, verifyJwt: jwtVerifier({ secret: SECRET }), now: () => NOW };

  it("is anonymous without a token, and refuses x-gateway-org without one", async () => {
    expect(await identify(req({}), deps)).toEqual({ kind: "anonymous" });
    expect(await code(identify(req({ "x-gateway-org": "org1" }), deps))).toBe("401 missing_token");
  });

  it("accepts a known API key by its hash and carries its limits", async () => {
    s.keys.set(await sha256Hex("egk_good"), key({}));
    const caller = await identify(req({ authorization: "Bearer egk_good" }), deps);
    expect(caller).toMatchObject({ kind: "user", userId: "u1", via: "api_key", apiKeyId: "key1", limits: { rpm: 60, tpm: null } });
  });

  it("refuses unknown, revoked and expired API keys with their own codes", async () => {
    s.keys.set(await sha256Hex("egk_revoked"), key({ revokedAt: new Date(NOW - 1) }));
    s.keys.set(await sha256Hex("egk_old"), key({ expiresAt: new Date(NOW) }));
    expect(await code(identify(req({ authorization: "Bearer egk_nope" }), deps))).toBe("401 invalid_token");
    expect(await code(identify(req({ authorization: "Bearer egk_revoked" }), deps))).toBe("401 token_revoked");
    expect(await code(identify(req({ authorization: "Bearer egk_old" }), deps))).toBe("401 token_expired");
    expect(await code(identify(req({ authorization: "Basic abc" }), deps))).toBe("401 invalid_token");
  });

  it("lets an org-owned key act as its organization only", async () => {
    s.keys.set(await sha256Hex("egk_org"), key({ id: "k-org", ownerUserId: null, ownerOrgId: "org9" }));
    expect(await identify(req({ authorization: "Bearer egk_org" }), deps)).toMatchObject({ kind: "org", orgId: "org9" });
    expect(await code(identify(req({ authorization: "Bearer egk_org", "x-gateway-org": "org1" }), deps))).toBe("403 not_org_member");
  });

  it("accepts a valid JWT and enforces exp, signature and the user's pepper", async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await identify(req({ authorization: `Bearer ${await jwt({ sub: "u1" }, now + 60)}` }), deps)).toMatchObject({ kind: "user", userId: "u1", via: "jwt" });
    expect(await code(identify(req({ authorization: `Bearer ${await jwt({ sub: "u1" }, now - 60)}` }), deps))).toBe("401 token_expired");
    expect(await code(identify(req({ authorization: `Bearer ${await jwt({ sub: "u1" }, now + 60, "x".repeat(40))}` }), deps))).toBe("401 invalid_token");
    expect(await code(identify(req({ authorization: `Bearer ${await jwt({ sub: "ghost" }, now + 60)}` }), deps))).toBe("401 invalid_token");
    expect(await identify(req({ authorization: `Bearer ${await jwt({ sub: "u2", pepper: "pep-2" }, now + 60)}` }), deps)).toMatchObject({ userId: "u2" });
    expect(await code(identify(req({ authorization: `Bearer ${await jwt({ sub: "u2", pepper: "old" }, now + 60)}` }), deps))).toBe("401 token_revoked");
    expect(await code(identify(req({ authorization: `Bearer ${await jwt({ sub: "u2" }, now + 60)}` }), deps))).toBe("401 token_revoked");
  });

  it("refuses blocked users and JWTs when no verifier is configured", async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await code(identify(req({ authorization: `Bearer ${await jwt({ sub: "bad" }, now + 60)}` }), deps))).toBe("403 user_blocked");
    const token = await jwt({ sub: "u1" }, now + 60);
    expect(await code(identify(req({ authorization: `Bearer ${token}` }), { ...deps, verifyJwt: null }))).toBe("401 invalid_token");
  });

  it("resolves x-gateway-org to the caller's membership", async () => {
    const token = `Bearer ${await jwt({ sub: "u1" }, Math.floor(Date.now() / 1000) + 60)}`;
    expect(await identify(req({ authorization: token, "x-gateway-org": "org1" }), deps)).toMatchObject({ org: { id: "org1", role: "admin" } });
    expect(await code(identify(req({ authorization: token, "x-gateway-org": "org2" }), deps))).toBe("403 not_org_member");
  });
});

describe("key hashers", () => {
  it("Node's synchronous hasher matches the Web Crypto one the keys were stored with", async () => {
    for (const value of ["egk_abc", "egk_ünïcødé-✓", ""]) expect(nodeHashKey(value)).toBe(await sha256Hex(value));
  });
});
