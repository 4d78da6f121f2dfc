// Who may call: anonymous callers, API keys, operator JWTs, organizations and the operator token.
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import type { Conformance } from "../context.ts";
import { JWT_SECRET } from "../settings.ts";

export function authCases(t: Conformance): void {
  const { fetch, gw, mock, admin, chat, expectError, hi, userId } = t;
  describe("authentication and accounts", () => {
    const sign = (claims: Record<string, unknown>, expiresInS = 300) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256" })
        .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInS)
        .sign(new TextEncoder().encode(JWT_SECRET));

    it("lets anonymous callers use free catalog models only", async () => {
      const free = await chat({ model: "openai/free-mock", messages: hi }, { auth: null });
      expect(free.status).toBe(200);
      expect(((await free.json()) as { model: string }).model).toBe("openai/free-mock");
      expect(mock.requests[0]!.body).toMatchObject({ model: "mock-model" });
      const err = await expectError(await chat({ model: "openai/mock-model", messages: hi }, { auth: null }), 401, "missing_token");
      expect(err.message).toContain("free");
    });

    it("refuses unknown keys and malformed headers", async () => {
      await expectError(await chat({ model: "openai/mock-model", messages: hi }, { auth: "egk_not-a-real-key" }), 401, "invalid_token");
      await expectError(await chat({ model: "openai/mock-model", messages: hi }, { auth: "not-a-jwt" }), 401, "invalid_token");
      expect(mock.requests).toHaveLength(0);
    });

    it("accepts an operator JWT, refuses an expired one, and a rotated pepper revokes old tokens", async () => {
      const ok = await chat({ model: "openai/mock-model", messages: hi }, { auth: await sign({ sub: userId }) });
      expect(ok.status).toBe(200);
      await expectError(await chat({ model: "openai/mock-model", messages: hi }, { auth: await sign({ sub: userId }, -10) }), 401, "token_expired");
      const rotated = await admin("POST", `/admin/users/${userId}/pepper`);
      const { pepper } = (await rotated.json()) as { pepper: string };
      await expectError(await chat({ model: "openai/mock-model", messages: hi }, { auth: await sign({ sub: userId }) }), 401, "token_revoked");
      expect((await chat({ model: "openai/mock-model", messages: hi }, { auth: await sign({ sub: userId, pepper }) })).status).toBe(200);
    });

    it("acts for an organization only when the caller is a member", async () => {
      const orgId = `org-${crypto.randomUUID()}`;
      expect((await admin("POST", "/admin/orgs", { id: orgId, name: "Conformance Inc" })).status).toBe(201);
      expect((await admin("POST", "/admin/credits", { owner: { type: "org", id: orgId }, amount_microdollars: 1_000_000 })).status).toBe(200);
      const asOrg = { headers: { "content-type": "application/json", authorization: `Bearer ${t.apiKey}`, "x-gateway-org": orgId } };
      const body = JSON.stringify({ model: "openai/mock-model", messages: hi });
      const url = `${gw.url}/v1/chat/completions`;
      await expectError(await fetch(url, { method: "POST", body, ...asOrg }), 403, "not_org_member");
      expect((await admin("PUT", `/admin/orgs/${orgId}/members/${userId}`, { role: "member" })).status).toBe(200);
      expect((await fetch(url, { method: "POST", body, ...asOrg })).status).toBe(200);
    });

    it("issues, lists and revokes self-service API keys; the plaintext is shown once", async () => {
      const auth = { authorization: `Bearer ${t.apiKey}`, "content-type": "application/json" };
      const created = await fetch(`${gw.url}/v1/api-keys`, { method: "POST", headers: auth, body: JSON.stringify({ name: "ci" }) });
      expect(created.status).toBe(201);
      const { id, key, prefix } = (await created.json()) as { id: string; key: string; prefix: string };
      expect(key).toMatch(/^egk_/);
      expect(key.startsWith(prefix)).toBe(true);
      expect((await chat({ model: "openai/mock-model", messages: hi }, { auth: key })).status).toBe(200);
      const listed = (await (await fetch(`${gw.url}/v1/api-keys`, { headers: auth })).json()) as { data: Record<string, unknown>[] };
      expect(listed.data.find((k) => k.id === id)).toMatchObject({ prefix, name: "ci" });
      expect(JSON.stringify(listed)).not.toContain(key);
      expect((await fetch(`${gw.url}/v1/api-keys/${id}`, { method: "DELETE", headers: auth })).status).toBe(204);
      await expectError(await chat({ model: "openai/mock-model", messages: hi }, { auth: key }), 401, "token_revoked");
      await expectError(await fetch(`${gw.url}/v1/api-keys`, { headers: {} }), 401, "missing_token");
    });

    it("guards the operator API with the admin token", async () => {
      await expectError(await fetch(`${gw.url}/admin/users`, { method: "POST", body: "{}" }), 401, "missing_token");
      await expectError(await fetch(`${gw.url}/admin/users`, { method: "POST", body: "{}", headers: { authorization: "Bearer wrong" } }), 401, "invalid_token");
      const bad = await expectError(await admin("POST", "/admin/credits", { owner: { type: "user", id: userId }, amount_microdollars: "lots" }), 400, "invalid_body");
      expect(bad.param).toBe("amount_microdollars");
      const fresh = `user-${crypto.randomUUID()}`;
      expect((await admin("POST", "/admin/users", { id: fresh })).status).toBe(201);
      const credit = await admin("POST", "/admin/credits", { owner: { type: "user", id: fresh }, amount_microdollars: 5_000_000 });
      expect(await credit.json()).toMatchObject({ balance_microdollars: 5_000_000 });
      await expectError(await admin("DELETE", "/admin/users/nobody-here"), 404, "user_not_found");
    });
  });
}
