// Named routes in chat requests (route/<name>: fallback with retry, weighted) and candidates an
// organization's policy rules out: each is skipped with its reason and the next one serves.
import { describe, expect, it } from "vitest";
import type { Conformance } from "../context.ts";
import { chatAs, costAt, expectAttempt, freshCaller, freshOrg, ledgerOf, PRICES, upstreamModels, type FreshCaller } from "./routing-accounts.ts";

const PAIR = ["openai/mock-model", "acme/acme-large"];

export function routePolicyCases(t: Conformance): void {
  const { expectError, hi } = t;

  /** Saves a route for `caller` (or its organization) and answers the model id that names it. */
  async function saveRoute(caller: FreshCaller, route: Record<string, unknown>, org?: string): Promise<string> {
    const name = `rt-${crypto.randomUUID().slice(0, 8)}`;
    const body = { name, ...route, ...(org === undefined ? {} : { owner: { type: "org", id: org } }) };
    const res = await t.fetch(`${t.gw.url}/v1/routes`, { method: "POST", headers: caller.headers(), body: JSON.stringify(body) });
    expect(res.status).toBe(201);
    return `route/${name}`;
  }

  describe("routing: named routes", () => {
    it("a fallback route retries its target after the upstream's retry-after, then falls over; one ledger row at the server's prices", async () => {
      const caller = await freshCaller(t);
      const model = await saveRoute(caller, { strategy: "fallback", targets: PAIR.map((m) => ({ model: m })), retry: { attempts: 2 } });
      const started = performance.now();
      const res = await chatAs(t, caller, { model, messages: hi, mock: { by_model: { "mock-model": { status: 429, headers: { "retry-after": "1" } } } } });
      expect(res.status).toBe(200);
      expect(performance.now() - started).toBeGreaterThanOrEqual(950);
      expect(res.headers.get("x-gateway-provider")).toBe("acme");
      expect(res.headers.get("x-gateway-model")).toBe("acme-large");
      expect(res.headers.get("x-gateway-attempts")).toBe("3");
      // The client named the route: that is the model it gets back.
      expect(((await res.json()) as { model: string }).model).toBe(model);
      expect(upstreamModels(t)).toEqual(["mock-model", "mock-model", "acme-large"]);
      const ledger = await ledgerOf(t, caller, 1);
      expect(ledger.total.requests).toBe(1);
      expect(ledger.by_model.map((m) => [m.model, m.requests])).toEqual([[model, 1]]);
      // The route's row names no provider in /v1/usage; its cost tells which target served.
      expect(ledger.total.cost_microdollars).toBe(costAt(PRICES["acme/acme-large"], ledger.total));
      expect(ledger.total.cost_microdollars).not.toBe(costAt(PRICES["openai/mock-model"], ledger.total));
    });

    it("a weighted route falls over to its other target when the one picked fails", async () => {
      const caller = await freshCaller(t);
      const model = await saveRoute(caller, { strategy: "weighted", targets: PAIR.map((m) => ({ model: m, weight: 1 })) });
      const res = await chatAs(t, caller, { model, messages: hi, mock: { by_model: { "mock-model": { status: 503 } } } });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-gateway-provider")).toBe("acme");
      const called = upstreamModels(t);
      // Whichever the split picked first, the failing target was tried at most once and acme served.
      expect(called.at(-1)).toBe("acme-large");
      expect(called.filter((m) => m === "mock-model").length).toBeLessThanOrEqual(1);
      expect(res.headers.get("x-gateway-attempts")).toBe(String(called.length));
      expect(((await res.json()) as { model: string }).model).toBe(model);
    });
  });

  describe("routing: candidates an organization rules out", () => {
    it("skips a candidate of a provider on the deny-list, and the next one serves", async () => {
      const caller = await freshCaller(t);
      const org = await freshOrg(t, caller, { provider_denylist: ["openai"] });
      const res = await chatAs(t, caller, { models: PAIR, messages: hi }, org);
      expect(res.status).toBe(200);
      expect(res.headers.get("x-gateway-provider")).toBe("acme");
      // A skipped candidate is no upstream call.
      expect(res.headers.get("x-gateway-attempts")).toBe("1");
      expect(upstreamModels(t)).toEqual(["acme-large"]);
      // The organization's ledger: one row, billed at the prices of the target that served.
      const ledger = await ledgerOf(t, caller, 1, org);
      expect(ledger.total.requests).toBe(1);
      expect(ledger.total.cost_microdollars).toBe(costAt(PRICES["acme/acme-large"], ledger.total));
    });

    it("skips a route's target the model allow-list leaves out, and the next one serves", async () => {
      const caller = await freshCaller(t);
      const org = await freshOrg(t, caller, { model_allowlist: ["acme/acme-large"] });
      const model = await saveRoute(caller, { strategy: "fallback", targets: PAIR.map((m) => ({ model: m })) }, org);
      const res = await chatAs(t, caller, { model, messages: hi }, org);
      expect(res.status).toBe(200);
      expect(res.headers.get("x-gateway-provider")).toBe("acme");
      expect(res.headers.get("x-gateway-attempts")).toBe("1");
      expect(upstreamModels(t)).toEqual(["acme-large"]);
    });

    it("names a skipped candidate's reason when the next one fails too", async () => {
      const caller = await freshCaller(t);
      const org = await freshOrg(t, caller, { provider_denylist: ["openai"] });
      const res = await chatAs(t, caller, { models: PAIR, messages: hi, mock: { by_model: { "acme-large": { status: 503 } } } }, org);
      const err = await expectError(res, 503, "mock_503");
      expectAttempt(err.message, "openai/mock-model", "403");
      expectAttempt(err.message, "acme/acme-large", "503");
      expect(upstreamModels(t)).toEqual(["acme-large"]);
    });

    it("refuses, naming each candidate it ruled out, when the policy rules out all of them, and calls no upstream", async () => {
      const caller = await freshCaller(t);
      const org = await freshOrg(t, caller, { provider_denylist: ["openai", "acme"] });
      const err = await expectError(await chatAs(t, caller, { models: PAIR, messages: hi }, org), 403, "provider_not_allowed");
      expectAttempt(err.message, "openai/mock-model", "403");
      expectAttempt(err.message, "acme/acme-large", "403");
      // The reason itself, for the last refusal at least.
      expect(err.message).toContain("does not allow the provider");
      expect(t.mock.requests).toHaveLength(0);
    });
  });
}
