// The routes and errors the other topic files do not reach, so that the OpenAPI check
// (openapi-document.ts, run last) sees every documented operation answer.
import { describe, expect, it } from "vitest";
import type { Conformance } from "../context.ts";
import { ADMIN_TOKEN, MAX_BODY } from "../settings.ts";

export function otherRouteCases(t: Conformance): void {
  const { fetch, gw, mock, admin, chat, expectError, hi } = t;
  describe("every other route", () => {
    const self = () => ({ authorization: `Bearer ${t.apiKey}`, "content-type": "application/json" });
    const call = (method: string, path: string, body?: unknown) =>
      fetch(`${gw.url}${path}`, { method, headers: self(), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

    it("custom upstreams: list, read, change, test, discover and delete", async () => {
      const create = (providerId: string) =>
        call("POST", "/v1/upstreams", {
          provider_id: providerId,
          display_name: "Probe",
          base_url: mock.baseUrl,
          api_key: "sk-probe-conformance-0123",
          extra_headers: { "x-team": "probe" },
          models: [{ id: "mock-model", name: "Mock", context_length: 8192, input_price: 0.1, output_price: 0.2 }],
        });
      const first = await create(`probe-${crypto.randomUUID().slice(0, 8)}`);
      expect(first.status).toBe(201);
      const { id, provider_id } = (await first.json()) as { id: string; provider_id: string };
      const second = await create(`probe-${crypto.randomUUID().slice(0, 8)}`);
      expect(second.status).toBe(201);
      const other = ((await second.json()) as { id: string }).id;

      const listed = (await (await call("GET", "/v1/upstreams")).json()) as { data: { id: string }[] };
      expect(listed.data.map((u) => u.id)).toContain(id);
      expect((await call("GET", `/v1/upstreams/${id}`)).status).toBe(200);
      await expectError(await call("GET", "/v1/upstreams/ups_missing"), 404, "upstream_not_found");
      expect((await call("PATCH", `/v1/upstreams/${id}`, { display_name: "Probe 2", extra_headers: null })).status).toBe(200);
      await expectError(await call("PATCH", `/v1/upstreams/${other}`, { provider_id }), 409, "upstream_exists");
      await expectError(await call("PATCH", `/v1/upstreams/${id}`, { ownr: "typo" }), 400, "invalid_body");

      const probe = await call("POST", `/v1/upstreams/${id}/test`);
      expect(probe.status).toBe(200);
      expect(await probe.json()).toMatchObject({ ok: true, status: 200 });
      const found = await call("POST", `/v1/upstreams/${id}/discover`, { save: true });
      expect(found.status).toBe(200);
      expect(await found.json()).toMatchObject({ ok: true, saved: true });

      for (const upstream of [id, other]) expect((await call("DELETE", `/v1/upstreams/${upstream}`)).status).toBe(204);
      await expectError(await call("DELETE", `/v1/upstreams/${id}`), 404, "upstream_not_found");
    });

    it("BYOK keys: list, refuse an unknown provider, 404 for a key that is not set", async () => {
      expect((await call("PUT", "/v1/byok-keys/groq", { api_key: "sk-byok-groq-conformance-89" })).status).toBe(200);
      const listed = (await (await call("GET", "/v1/byok-keys")).json()) as { data: { provider: string }[] };
      expect(listed.data.map((k) => k.provider)).toContain("groq");
      expect((await call("DELETE", "/v1/byok-keys/groq")).status).toBe(204);
      await expectError(await call("DELETE", "/v1/byok-keys/groq"), 404, "byok_key_not_found");
      await expectError(await call("PUT", "/v1/byok-keys/not-a-provider", { api_key: "sk-x" }), 400, "invalid_body");
    });

    it("account routes refuse bad input", async () => {
      await expectError(await call("GET", "/v1/usage?days=0"), 400, "invalid_query");
      await expectError(await call("POST", "/v1/api-keys", { expires_at: "2001-01-01T00:00:00Z" }), 400, "invalid_body");
      await expectError(await call("DELETE", "/v1/api-keys/key_missing"), 404, "api_key_not_found");
      await expectError(await call("PUT", `/v1/orgs/org-${crypto.randomUUID()}/settings`, { model_allowlist: [] }), 403, "not_org_member");
    });

    it("answers a management body over the limit with 413, and relays an upstream's own 4xx", async () => {
      const big = await fetch(`${gw.url}/admin/users`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ id: "x".repeat(MAX_BODY) }),
      });
      await expectError(big, 413, "body_too_large");
      const err = await expectError(await chat({ model: "openai/mock-model", messages: hi, mock: { status: 422 } }), 422, "mock_422");
      expect(err.message).toBe("mock upstream error");
    });

    it("operator API: conflicts, missing owners and the end of users, orgs and memberships", async () => {
      const user = `user-${crypto.randomUUID()}`;
      const org = `org-${crypto.randomUUID()}`;
      expect((await admin("POST", "/admin/users", { id: user, email: `${user}@example.com` })).status).toBe(201);
      await expectError(await admin("POST", "/admin/users", { id: user }), 409, "conflict");
      expect((await admin("POST", "/admin/orgs", { id: org, name: "Ending Inc", plan: "team" })).status).toBe(201);
      await expectError(await admin("POST", "/admin/orgs", { id: org, name: "Again" }), 409, "conflict");
      expect(await (await admin("PATCH", `/admin/orgs/${org}`, { plan: "enterprise" })).json()).toMatchObject({ id: org, name: "Ending Inc", plan: "enterprise" });
      await expectError(await admin("PATCH", `/admin/orgs/${org}`, { plan: "gold" }), 400, "invalid_body");
      expect((await admin("PUT", `/admin/orgs/${org}/members/${user}`, { role: "member" })).status).toBe(200);
      expect((await admin("DELETE", `/admin/orgs/${org}/members/${user}`)).status).toBe(204);
      await expectError(await admin("DELETE", `/admin/orgs/${org}/members/${user}`), 404, "not_found");
      await expectError(await admin("PUT", `/admin/orgs/${org}/members/nobody-here`, { role: "member" }), 404, "not_found");
      expect((await admin("DELETE", `/admin/orgs/${org}`)).status).toBe(204);
      await expectError(await admin("DELETE", `/admin/orgs/${org}`), 404, "org_not_found");
      expect((await admin("DELETE", `/admin/users/${user}`)).status).toBe(204);
      await expectError(await admin("POST", `/admin/users/${user}/pepper`), 404, "user_not_found");
      const nobody = { type: "user", id: user };
      await expectError(await admin("POST", "/admin/api-keys", { owner: nobody }), 404, "owner_not_found");
      await expectError(await admin("POST", "/admin/credits", { owner: nobody, amount_microdollars: 1 }), 404, "owner_not_found");
      await expectError(await admin("POST", "/admin/models", { id: "openai/half-priced", provider: "openai", input_price: 1 }), 400, "invalid_body");
    });
  });
}
