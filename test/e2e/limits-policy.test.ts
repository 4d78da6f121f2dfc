// Credit and policy end to end on Node: the gateway with its ledger in the real PostgreSQL
// (through the Neon HTTP stand-in) and its counters in the real Redis (through the Upstash REST
// stand-in), calling the mock LLM. Paid models need credit, BYOK needs none, upstream billing
// and context-length errors as the caller sees them, and an organization's allow-lists.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { MockLlm } from "../support/mock-llm/index.ts";
import { startNode } from "../support/runtimes/node.ts";
import { eventually, FREE, type Gateway, hi, type Launcher, limitsHarness, PAID, ready, suiteTitle } from "./limits-fixtures.ts";

function limitsSuite(runtime: string, launch: Launcher): void {
  describe.skipIf(!ready)(suiteTitle(runtime), () => {
    const { run, userId, admin, newUser, chat, ledgerRow, balance, errorOf, discard, start, stop } = limitsHarness(launch);
    let mock: MockLlm;
    let gw: Gateway;
    let apiKey = "";

    beforeAll(async () => {
      ({ mock, gw, apiKey } = await start());
    }, 120_000);
    afterAll(stop);
    beforeEach(() => mock.reset());

    it("needs credit for paid models: first-time and returning callers are told different things", async () => {
      const fresh = await newUser(0);
      const refused = await chat({ model: PAID, messages: hi }, fresh.key);
      expect(refused.status).toBe(402);
      expect(await errorOf(refused)).toMatchObject({ code: "insufficient_credits", message: expect.stringMatching(/no credit yet/) });
      expect(mock.requests).toHaveLength(0);
      // Free models need no credit.
      expect((await chat({ model: FREE, messages: hi }, fresh.key)).status).toBe(200);

      const small = await newUser(1);
      expect((await chat({ model: PAID, messages: hi }, small.key)).status).toBe(200);
      // The charge (more than 1 microdollar) lands in the background; the next call is refused.
      const out = await eventually(async () => {
        const res = await chat({ model: PAID, messages: hi }, small.key);
        if (res.status === 402) return res;
        await discard(res);
        return undefined;
      });
      expect((await errorOf(out)).message).toMatch(/out of credit/);
      expect(await eventually(async () => ((await balance(small.id)) < 0 ? true : undefined))).toBe(true);
    });

    it("serves BYOK without credit and charges it nothing", async () => {
      const byok = await newUser(0);
      const put = await fetch(`${gw.url}/v1/byok-keys/openai`, {
        method: "PUT",
        headers: { authorization: `Bearer ${byok.key}`, "content-type": "application/json" },
        body: JSON.stringify({ api_key: "sk-callers-own" }),
      });
      expect(put.status).toBe(200);
      const res = await chat({ model: PAID, messages: hi }, byok.key);
      expect(res.status).toBe(200);
      expect(mock.requests[0]!.headers.authorization).toBe("Bearer sk-callers-own");
      const row = await ledgerRow(res.headers.get("x-request-id")!);
      expect(row).toMatchObject({ byok: true, owner_user_id: byok.id });
      expect(Number(row.cost_microdollars)).toBe(0);
      expect(await balance(byok.id)).toBe(0);
      // An upstream 402 on the caller's own key is the caller's problem, relayed as such.
      const own = await chat({ model: PAID, messages: hi, mock: { status: 402 } }, byok.key);
      expect(own.status).toBe(402);
    });

    it("hides an upstream 402 on the operator's key as 503, and names context-length errors", async () => {
      const billing = await chat({ model: PAID, messages: hi, mock: { status: 402 } });
      expect(billing.status).toBe(503);
      expect(await errorOf(billing)).toMatchObject({ code: "upstream_unavailable" });
      const error_body = JSON.stringify({ error: { message: "This model's maximum context length is 8192 tokens. However, your messages resulted in 9001 tokens.", type: "invalid_request_error", code: "context_length_exceeded" } });
      const tooLong = await chat({ model: PAID, messages: hi, mock: { status: 400, error_body } });
      expect(tooLong.status).toBe(400);
      expect(await errorOf(tooLong)).toMatchObject({ code: "context_length_exceeded", message: expect.stringContaining("maximum context length is 8192") });
    });

    it("enforces an organization's allow-lists; members read its settings, admins write them", async () => {
      const orgId = `limits-org-${run}`;
      await admin("POST", "/admin/orgs", { id: orgId, name: "Limits Inc" });
      await admin("POST", "/admin/credits", { owner: { type: "org", id: orgId }, amount_microdollars: 10_000_000 });
      const member = await newUser(0);
      await admin("PUT", `/admin/orgs/${orgId}/members/${userId}`, { role: "admin" });
      await admin("PUT", `/admin/orgs/${orgId}/members/${member.id}`, { role: "member" });
      const settingsUrl = `${gw.url}/v1/orgs/${orgId}/settings`;
      const as = (key: string) => ({ authorization: `Bearer ${key}`, "content-type": "application/json" });
      const settings = { model_allowlist: [FREE, "acme/*"], provider_denylist: ["acme"] };

      const denied = await fetch(settingsUrl, { method: "PUT", headers: as(member.key), body: JSON.stringify(settings) });
      expect(denied.status).toBe(403);
      expect(await errorOf(denied)).toMatchObject({ code: "not_org_admin" });
      const typo = await fetch(settingsUrl, { method: "PUT", headers: as(apiKey), body: JSON.stringify({ model_alowlist: [] }) });
      expect(typo.status).toBe(400);
      const put = await fetch(settingsUrl, { method: "PUT", headers: as(apiKey), body: JSON.stringify(settings) });
      expect(put.status).toBe(200);
      expect(await (await fetch(settingsUrl, { headers: as(member.key) })).json()).toEqual(settings);
      const outsider = await newUser(0);
      expect((await fetch(settingsUrl, { headers: as(outsider.key) })).status).toBe(403);

      const asOrg = { "x-gateway-org": orgId };
      const notAllowed = await chat({ model: PAID, messages: hi }, apiKey, asOrg);
      expect(notAllowed.status).toBe(403);
      expect(await errorOf(notAllowed)).toMatchObject({ code: "model_not_allowed" });
      const provider = await chat({ model: "acme/acme-large", messages: hi }, apiKey, asOrg);
      expect(provider.status).toBe(403);
      expect(await errorOf(provider)).toMatchObject({ code: "provider_not_allowed" });
      expect(mock.requests).toHaveLength(0);
      const ok = await chat({ model: FREE, messages: hi }, member.key, asOrg);
      expect(ok.status).toBe(200);
      expect(await ledgerRow(ok.headers.get("x-request-id")!)).toMatchObject({ owner_org_id: orgId, owner_user_id: null });
    });
  });
}

// Node only: workerd runs the rate-limit and accounting cases (limits.test.ts, limits-accounting.test.ts).
limitsSuite("node", startNode);
