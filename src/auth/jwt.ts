import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from "jose";
import { GatewayError } from "../http/errors.ts";

export interface JwtClaims {
  sub: string;
  pepper: string | null;
}

export type JwtVerifier = (token: string) => Promise<JwtClaims>;

const ASYMMETRIC = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

/**
 * Verifies operator-signed JWTs: HS256 with GATEWAY_JWT_SECRET, or an asymmetric algorithm of a
 * remote key set (jose caches it and refetches on an unknown `kid`). Null when neither is
 * configured: JWTs are then refused, never trusted unverified.
 */
export function jwtVerifier(opts: { secret?: string | undefined; jwksUrl?: string | undefined }): JwtVerifier | null {
  let verify: (token: string) => Promise<JWTPayload>;
  if (opts.secret) {
    const secret = new TextEncoder().encode(opts.secret);
    verify = async (token) => (await jwtVerify(token, secret, { algorithms: ["HS256"], requiredClaims: ["sub"] })).payload;
  } else if (opts.jwksUrl) {
    const jwks = createRemoteJWKSet(new URL(opts.jwksUrl));
    verify = async (token) => (await jwtVerify(token, jwks, { algorithms: ASYMMETRIC, requiredClaims: ["sub"] })).payload;
  } else {
    return null;
  }
  return async (token) => {
    let payload: JWTPayload;
    try {
      payload = await verify(token);
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new GatewayError(401, "token_expired", "The token has expired.");
      if (err instanceof errors.JWKSTimeout || !(err instanceof errors.JOSEError)) {
        // The key set could not be fetched: not the caller's fault, and not a reason to let them in.
        throw new GatewayError(503, "auth_unavailable", "Token verification is temporarily unavailable.");
      }
      throw new GatewayError(401, "invalid_token", "The token is not valid.");
    }
    if (typeof payload.sub !== "string" || payload.sub === "") {
      throw new GatewayError(401, "invalid_token", "The token has no subject.");
    }
    return { sub: payload.sub, pepper: typeof payload.pepper === "string" ? payload.pepper : null };
  };
}
