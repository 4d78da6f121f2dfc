import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jwtVerifier } from "../../../src/auth/jwt.ts";
import { GatewayError } from "../../../src/http/errors.ts";

describe("JWT verification against a remote key set", () => {
  let server: Server;
  let url: string;
  let fetches = 0;
  let sign: (sub: string) => Promise<string>;
  let signWithOther: (sub: string) => Promise<string>;

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair("ES256");
    const other = await generateKeyPair("ES256");
    const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" };
    server = createServer((_req, res) => {
      fetches++;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
    const exp = Math.floor(Date.now() / 1000) + 300;
    sign = (sub) => new SignJWT({}).setProtectedHeader({ alg: "ES256", kid: "k1" }).setSubject(sub).setExpirationTime(exp).sign(privateKey);
    signWithOther = (sub) => new SignJWT({}).setProtectedHeader({ alg: "ES256", kid: "k1" }).setSubject(sub).setExpirationTime(exp).sign(other.privateKey);
  });

  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("verifies with the fetched keys and caches them", async () => {
    const verify = jwtVerifier({ jwksUrl: url })!;
    expect(await verify(await sign("u1"))).toEqual({ sub: "u1", pepper: null });
    expect(await verify(await sign("u2"))).toEqual({ sub: "u2", pepper: null });
    expect(fetches).toBe(1);
  });

  it("refuses a token signed by a key outside the set", async () => {
    const verify = jwtVerifier({ jwksUrl: url })!;
    const err = await verify(await signWithOther("u1")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 401, code: "invalid_token" });
  });

  it("answers 503, not 401 and not a pass, when the key set cannot be fetched", async () => {
    const verify = jwtVerifier({ jwksUrl: "http://127.0.0.1:1/jwks.json" })!;
    const err = await verify(await sign("u1")).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 503, code: "auth_unavailable" });
  });
});
