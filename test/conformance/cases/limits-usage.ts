// Limits, credit and accounting (details and the concurrency cases: test/e2e/limits.test.ts).
import { describe, expect, it } from "vitest";
import type { Conformance } from "../context.ts";

export function limitsAndUsageCases(t: Conformance): void {
  const { fetch, gw, mock, admin, chat, expectError, hi, userId } = t;
  describe("rate limits, credit and usage", () => {
    it("counts anonymous requests per client and says so in x-ratelimit headers", async () => {
      const first = await chat({ model: "openai/free-mock", messages: hi }, { auth: null });
      const second = await chat({ model: "openai/free-mock", messages: hi }, { auth: null });
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(first.headers.get("x-ratelimit-limit-requests")).toBe("200");
      expect(Number(second.headers.get("x-ratelimit-remaining-requests"))).toBeLessThan(Number(first.headers.get("x-ratelimit-remaining-requests")));
      expect(second.headers.get("x-ratelimit-reset-requests")).toMatch(/^(\d+h)?(\d+m)?\d+s$/);
    });

    it("402 insufficient_credits for a paid model without credit, before the upstream", async () => {
      const broke = `user-${crypto.randomUUID()}`;
      expect((await admin("POST", "/admin/users", { id: broke })).status).toBe(201);
      const { key } = (await (await admin("POST", "/admin/api-keys", { owner: { type: "user", id: broke } })).json()) as { key: string };
      const err = await expectError(await chat({ model: "openai/mock-model", messages: hi }, { auth: key }), 402, "insufficient_credits");
      expect(err.message).toContain("credit");
      expect(mock.requests).toHaveLength(0);
    });

    it("GET /v1/usage shows the caller's paid requests by model and by day", async () => {
      expect((await chat({ model: "openai/mock-model", messages: hi })).status).toBe(200);
      // Accounting runs after the response: wait for it to land.
      let body: { by_model: { model: string; requests: number; cost_microdollars: number }[]; by_day: { day: string }[] } | undefined;
      for (let i = 0; i < 100; i++) {
        const res = await fetch(`${gw.url}/v1/usage`, { headers: { authorization: `Bearer ${t.apiKey}` } });
        expect(res.status).toBe(200);
        body = (await res.json()) as typeof body;
        if (body?.by_model.some((m) => m.model === "openai/mock-model")) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const paid = body?.by_model.find((m) => m.model === "openai/mock-model");
      expect(paid?.requests).toBeGreaterThanOrEqual(1);
      expect(paid?.cost_microdollars).toBeGreaterThan(0);
      expect(body?.by_day[0]?.day).toBe(new Date().toISOString().slice(0, 10));
    });

    it("org settings: admins write, members read, and the allow-list applies", async () => {
      const orgId = `org-${crypto.randomUUID()}`;
      expect((await admin("POST", "/admin/orgs", { id: orgId, name: "Policy Inc" })).status).toBe(201);
      expect((await admin("PUT", `/admin/orgs/${orgId}/members/${userId}`, { role: "admin" })).status).toBe(200);
      const headers = { authorization: `Bearer ${t.apiKey}`, "content-type": "application/json" };
      const settings = { model_allowlist: ["openai/free-mock"] };
      const put = await fetch(`${gw.url}/v1/orgs/${orgId}/settings`, { method: "PUT", headers, body: JSON.stringify(settings) });
      expect(put.status).toBe(200);
      expect(await (await fetch(`${gw.url}/v1/orgs/${orgId}/settings`, { headers })).json()).toEqual(settings);
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { ...headers, "x-gateway-org": orgId },
        body: JSON.stringify({ model: "openai/mock-model", messages: hi }),
      });
      await expectError(res, 403, "model_not_allowed");
      await expectError(await fetch(`${gw.url}/v1/orgs/${orgId}-other/settings`, { headers }), 403, "not_org_member");
    });
  });
}
