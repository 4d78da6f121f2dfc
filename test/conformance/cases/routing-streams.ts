// Streams and fallbacks: until a stream's first chunk has reached the client, a failing candidate
// hands the request to the next; after it, nothing fails over and the stream ends with an error
// event and [DONE], never a silent clean end.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHeadersOnlyUpstream, type HeadersOnlyUpstream } from "../../support/headers-only-upstream.ts";
import { isObject } from "../../support/mock-llm/steer.ts";
import type { Conformance } from "../context.ts";
import { FIRST_BYTE_TIMEOUT_MS } from "../settings.ts";
import { jsonEvents, readEvents } from "../sse.ts";
import { chatAs, costAt, freshCaller, ledgerOf, PRICES, upstreamModels, type FreshCaller } from "./routing-accounts.ts";

const PAIR = ["openai/mock-model", "acme/acme-large"];

/** The text a chunk carries (its first choice's delta), "" for any other event. */
function contentOf(chunk: Record<string, unknown>): string {
  const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
  const delta = isObject(choice) ? choice.delta : undefined;
  return isObject(delta) && typeof delta.content === "string" ? delta.content : "";
}

/** The stream's events: its JSON chunks, the text they carry, and whether it ended with [DONE]. */
async function streamOf(res: Response) {
  const events = await readEvents(res);
  const chunks = jsonEvents(events);
  return { chunks, text: chunks.map(contentOf).join(""), done: events.at(-1)?.data === "[DONE]" };
}

export function streamFallbackCases(t: Conformance): void {
  const { mock, chat, hi } = t;
  const failingFirst = (first: Record<string, unknown>) => ({ models: PAIR, messages: hi, stream: true, mock: { by_model: { "mock-model": first } } });

  /** A whole, clean stream from the second candidate (acme), after two attempts. */
  async function expectStreamFromSecond(res: Response) {
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    expect(res.headers.get("x-gateway-provider")).toBe("acme");
    expect(res.headers.get("x-gateway-attempts")).toBe("2");
    const { chunks, text, done } = await streamOf(res);
    expect(done).toBe(true);
    expect(chunks.some((c) => c.error !== undefined)).toBe(false);
    expect(text).toBe("Hello from mock");
  }

  /** A stream the first candidate (openai) started: it keeps it, and ends it with an error event and [DONE]. */
  async function expectStartedStreamToFail(res: Response) {
    expect(res.status).toBe(200);
    expect(res.headers.get("x-gateway-provider")).toBe("openai");
    expect(res.headers.get("x-gateway-attempts")).toBe("1");
    const { chunks, text, done } = await streamOf(res);
    expect(text).toBe("Hello");
    expect(done).toBe(true);
    expect(chunks.at(-1)).toMatchObject({ error: { code: "upstream_error", type: expect.any(String), message: expect.any(String) } });
    expect(upstreamModels(t)).toEqual(["mock-model"]);
  }

  describe("routing: streams", () => {
    let broken: HeadersOnlyUpstream;
    let owner: FreshCaller;

    // Upstreams whose streams fail after their headers, as this caller's own custom upstreams.
    beforeAll(async () => {
      broken = await startHeadersOnlyUpstream();
      owner = await freshCaller(t);
      for (const [providerId, baseUrl] of [["stall", broken.stallBaseUrl], ["break", broken.breakBaseUrl]] as const) {
        const res = await t.fetch(`${t.gw.url}/v1/upstreams`, {
          method: "POST",
          headers: owner.headers(),
          body: JSON.stringify({ provider_id: providerId, display_name: providerId, base_url: baseUrl, api_key: `sk-${providerId}-routing-0123`, models: [{ id: "m" }] }),
        });
        expect(res.status).toBe(201);
      }
    });

    afterAll(async () => {
      await broken?.close();
    });

    it("falls over when the first candidate answers a 5xx to a stream request", async () => {
      await expectStreamFromSecond(await chat(failingFirst({ status: 503 })));
      expect(upstreamModels(t)).toEqual(["mock-model", "acme-large"]);
    });

    it("falls over when the first candidate's first byte is too slow", async () => {
      await expectStreamFromSecond(await chat(failingFirst({ first_byte_delay_ms: 2000 })));
      expect(await mock.requests[0]!.closed).toBe("aborted");
    });

    it("falls over when a stream breaks off after its headers, before its first chunk", async () => {
      const res = await chatAs(t, owner, { models: ["break/m", "openai/mock-model"], messages: hi, stream: true });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-gateway-provider")).toBe("openai");
      expect(res.headers.get("x-gateway-attempts")).toBe("2");
      const { chunks, text, done } = await streamOf(res);
      expect([text, done]).toEqual(["Hello from mock", true]);
      expect(chunks.some((c) => c.error !== undefined)).toBe(false);
      expect(broken.requests).toContain("/break/v1/chat/completions");
    });

    it("falls over when a stream stalls after its headers for longer than the first-byte timeout", async () => {
      const started = performance.now();
      const res = await chatAs(t, owner, { models: ["stall/m", "openai/mock-model"], messages: hi, stream: true });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-gateway-provider")).toBe("openai");
      expect(res.headers.get("x-gateway-attempts")).toBe("2");
      expect(performance.now() - started).toBeGreaterThanOrEqual(FIRST_BYTE_TIMEOUT_MS - 50);
      const { text, done } = await streamOf(res);
      expect([text, done]).toEqual(["Hello from mock", true]);
      expect(broken.requests).toContain("/stall/v1/chat/completions");
    });

    it("falls over when a stream ends after its headers without a single chunk", async () => {
      // A 200 event stream with an empty body: nothing of it could reach the client.
      const empty = { status: 200, error_body: "", headers: { "content-type": "text/event-stream" } };
      await expectStreamFromSecond(await chat(failingFirst(empty)));
      expect(upstreamModels(t)).toEqual(["mock-model", "acme-large"]);
    });

    it("falls over when a stream's first event is malformed (nothing valid could reach the client)", async () => {
      const malformed = { status: 200, error_body: "data: {not json\n\n", headers: { "content-type": "text/event-stream" } };
      await expectStreamFromSecond(await chat(failingFirst(malformed)));
      expect(upstreamModels(t)).toEqual(["mock-model", "acme-large"]);
    });

    it("does not fall over once the first chunk has gone out: a dropped stream ends with an error event and [DONE]", async () => {
      await expectStartedStreamToFail(await chat(failingFirst({ malformed: "drop" })));
    });

    it("does not fall over once the first chunk has gone out: a malformed event ends the stream with an error event and [DONE]", async () => {
      await expectStartedStreamToFail(await chat(failingFirst({ malformed: "json" })));
    });

    it("a stream that failed over leaves one ledger row, for the candidate that served", async () => {
      const caller = await freshCaller(t);
      await expectStreamFromSecond(await chatAs(t, caller, failingFirst({ status: 502 })));
      const ledger = await ledgerOf(t, caller, 1);
      expect(ledger.total.requests).toBe(1);
      expect(ledger.by_model.map((m) => m.requests)).toEqual([1]);
      expect(ledger.total.completion_tokens).toBeGreaterThan(0);
      expect(ledger.total.cost_microdollars).toBe(costAt(PRICES["acme/acme-large"], ledger.total));
    });
  });
}
