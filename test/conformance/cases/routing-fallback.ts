// Request-level fallbacks (`models`, OpenRouter's convention): which failures of one candidate
// hand the request to the next, which are the client's to see, and what the answer says about
// it: the target that served (x-gateway-provider, x-gateway-model, x-gateway-attempts), the
// client's own model id in the body, one ledger row, and every attempt when none served.
import { describe, expect, it } from "vitest";
import type { Conformance } from "../context.ts";
import { ACME_KEY, DEAD_KEY, FIRST_BYTE_TIMEOUT_MS, TOTAL_TIMEOUT_MS, UPSTREAM_KEY } from "../settings.ts";
import { jsonEvents, readEvents } from "../sse.ts";
import { chatAs, costAt, expectAttempt, freshCaller, ledgerOf, PRICES, upstreamModels } from "./routing-accounts.ts";

const PAIR = ["openai/mock-model", "acme/acme-large"];

export function fallbackCases(t: Conformance): void {
  const { mock, chat, expectError, hi } = t;
  /** `models` with the first candidate (upstream "mock-model") steered by `first`. */
  const failingFirst = (first: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ models: PAIR, messages: hi, mock: { by_model: { "mock-model": first } }, ...extra });

  /** Served by the second candidate (acme), after one failed call of the first; answers the body. */
  async function expectServedBySecond(res: Response): Promise<{ model: string }> {
    expect(res.status).toBe(200);
    expect(res.headers.get("x-gateway-provider")).toBe("acme");
    expect(res.headers.get("x-gateway-model")).toBe("acme-large");
    expect(res.headers.get("x-gateway-attempts")).toBe("2");
    expect(upstreamModels(t)).toEqual(["mock-model", "acme-large"]);
    return (await res.json()) as { model: string };
  }

  describe("routing: request-level fallbacks", () => {
    it("serves the first candidate when it answers: models[0] in the body, one attempt, nothing else called", async () => {
      const res = await chat({ models: PAIR, messages: hi });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-gateway-provider")).toBe("openai");
      expect(res.headers.get("x-gateway-model")).toBe("mock-model");
      expect(res.headers.get("x-gateway-attempts")).toBe("1");
      expect(((await res.json()) as { model: string }).model).toBe("openai/mock-model");
      expect(upstreamModels(t)).toEqual(["mock-model"]);
      // `models` is the gateway's: no upstream sees it.
      expect(mock.requests[0]!.raw).not.toContain('"models"');
    });

    it("falls over on a 5xx, and the ledger has one row, for the target that served", async () => {
      const caller = await freshCaller(t);
      await expectServedBySecond(await chatAs(t, caller, failingFirst({ status: 503 })));
      const ledger = await ledgerOf(t, caller, 1);
      expect(ledger.total.requests).toBe(1);
      expect(ledger.by_model.map((m) => m.requests)).toEqual([1]);
      // /v1/usage names no provider: the row is billed at the prices of the target that served.
      expect(ledger.total.cost_microdollars).toBe(costAt(PRICES["acme/acme-large"], ledger.total));
      expect(ledger.total.cost_microdollars).not.toBe(costAt(PRICES["openai/mock-model"], ledger.total));
    });

    it("falls over from `model` to `models` when `model` is named too", async () => {
      await expectServedBySecond(await chat({ model: "openai/mock-model", models: ["acme/acme-large"], messages: hi, mock: { by_model: { "mock-model": { status: 500 } } } }));
    });

    // README, "Routing": "the body's `model` stays the id the client sent" (`model`, else the
    // first of `models`, as the request's parser reads it), whichever candidate served.
    it("keeps the body's model the id the client sent when a later candidate serves, in every chunk too", async () => {
      expect((await expectServedBySecond(await chat(failingFirst({ status: 503 })))).model).toBe("openai/mock-model");
      mock.reset();
      const named = { model: "openai/mock-model", models: ["acme/acme-large"], messages: hi, mock: { by_model: { "mock-model": { status: 503 } } } };
      expect((await expectServedBySecond(await chat(named))).model).toBe("openai/mock-model");
      const streamed = await chat(failingFirst({ status: 503 }, { stream: true }));
      expect(streamed.headers.get("x-gateway-provider")).toBe("acme");
      const chunks = jsonEvents(await readEvents(streamed));
      expect(chunks.length).toBeGreaterThan(0);
      expect(chunks.map((c) => c.model)).toEqual(chunks.map(() => "openai/mock-model"));
    });

    it("falls over on a 429 without retry-after", async () => {
      await expectServedBySecond(await chat(failingFirst({ status: 429 })));
    });

    it("falls over on a 429 with retry-after at once: a request-level fallback has no retry to wait for", async () => {
      const started = performance.now();
      await expectServedBySecond(await chat(failingFirst({ status: 429, headers: { "retry-after": "2" } })));
      expect(performance.now() - started).toBeLessThan(1500);
    });

    it("falls over when a candidate's answer is not valid JSON (nothing of it reached the client)", async () => {
      await expectServedBySecond(await chat(failingFirst({ malformed: "json" })));
    });

    it("falls over when the connection is refused", async () => {
      const res = await chat({ models: ["dead/x", "openai/free-mock"], messages: hi });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-gateway-provider")).toBe("openai");
      expect(res.headers.get("x-gateway-attempts")).toBe("2");
      expect(upstreamModels(t)).toEqual(["mock-model"]);
    });

    it("falls over when the first byte is too slow, and lets go of the slow upstream", async () => {
      const started = performance.now();
      await expectServedBySecond(await chat(failingFirst({ first_byte_delay_ms: 2000 })));
      const took = performance.now() - started;
      expect(took).toBeGreaterThanOrEqual(FIRST_BYTE_TIMEOUT_MS - 50);
      expect(took).toBeLessThan(TOTAL_TIMEOUT_MS);
      expect(await mock.requests[0]!.closed).toBe("aborted");
    });

    it("does not fall over on a 400: the request itself is wrong, and the client gets it", async () => {
      const res = await chat(failingFirst({ status: 400 }));
      const err = await expectError(res, 400, "mock_400");
      expect(err.message).toBe("mock upstream error");
      expect(res.headers.get("x-gateway-attempts")).toBe("1");
      expect(res.headers.get("x-gateway-provider")).toBe("openai");
      expect(upstreamModels(t)).toEqual(["mock-model"]);
    });

    it("when every candidate fails, names each attempt and its status, quotes no credential, and leaves one ledger row", async () => {
      const caller = await freshCaller(t);
      // Both upstreams quote the key they were sent in their error, as careless providers do.
      const body = {
        models: ["dead/x", "openai/mock-model", "acme/acme-large"],
        messages: hi,
        mock: { by_model: { "mock-model": { status: 429, echo: "error" }, "acme-large": { status: 503, echo: "error" } } },
      };
      const res = await chatAs(t, caller, body);
      expect(res.headers.get("x-gateway-attempts")).toBe("3");
      const raw = await res.clone().text();
      const err = await expectError(res, 503, "invalid_api_key");
      expect(err.message).toContain("3 attempts");
      expectAttempt(err.message, "dead/x", "unreachable");
      expectAttempt(err.message, "openai/mock-model", "429");
      expectAttempt(err.message, "acme/acme-large", "503");
      for (const secret of [UPSTREAM_KEY, ACME_KEY, DEAD_KEY, caller.key]) {
        expect(raw).not.toContain(secret);
        expect([...res.headers.values()].join("\n")).not.toContain(secret);
      }
      expect(upstreamModels(t)).toEqual(["mock-model", "acme-large"]);
      // One row for the request, and nothing charged for it.
      const ledger = await ledgerOf(t, caller, 1);
      expect(ledger.total.requests).toBe(1);
      expect(ledger.by_model.map((m) => m.requests)).toEqual([1]);
      expect(ledger.total.cost_microdollars).toBe(0);
    });
  });
}
