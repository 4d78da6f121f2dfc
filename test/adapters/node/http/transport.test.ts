import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createPooledFetch } from "../../../../adapters/node/http/transport.ts";
import { UPSTREAM_ABORT } from "../../../../src/index.ts";
import { startMockLlm, type MockLlm } from "../../../support/mock-llm/index.ts";

// The Node transport takes the core's stop hook instead of an AbortSignal: it must stop the
// request when the hook fires, and let go of the hook once the answer has been read.
describe("node transport", () => {
  let mock: MockLlm;
  const transport = createPooledFetch();
  beforeAll(async () => {
    mock = await startMockLlm();
  });
  beforeEach(() => mock.reset());
  afterAll(async () => {
    await transport.close();
    await mock.close();
  });

  /** A hook like UpstreamCall.onAbort that counts who listens. */
  function stopHook() {
    const listeners = new Set<() => void>();
    let subscribed = 0;
    const hook = (listener: () => void) => {
      subscribed++;
      listeners.add(listener);
      return () => void listeners.delete(listener);
    };
    return { hook, subscribed: () => subscribed, listening: () => listeners.size, stop: () => [...listeners].forEach((l) => l()) };
  }
  const body = (extra: Record<string, unknown> = {}) => JSON.stringify({ model: "mock-model", messages: [{ role: "user", content: "hi" }], ...extra });

  it("lets go of the hook once the answer is read", async () => {
    const h = stopHook();
    const res = await transport(`${mock.baseUrl}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: body(), [UPSTREAM_ABORT]: h.hook });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { object: string }).object).toBe("chat.completion");
    expect(h.subscribed()).toBe(1);
    // undici drops its listener when the body stream closes, a tick after the text is read.
    await expect.poll(() => h.listening()).toBe(0);
  });

  it("stops a request in flight when the hook fires, and the upstream sees the abort", async () => {
    const h = stopHook();
    const pending = transport(`${mock.baseUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: body({ mock: { first_byte_delay_ms: 5_000 } }),
      [UPSTREAM_ABORT]: h.hook,
    });
    await expect.poll(() => mock.requests.length).toBe(1);
    const started = Date.now();
    h.stop();
    await expect(pending).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await mock.requests[0]!.closed).toBe("aborted");
  });

  it("relays an event stream chunk by chunk, and a cancelled reader stops the upstream", async () => {
    const h = stopHook();
    const res = await transport(`${mock.baseUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: body({ stream: true, mock: { chunks: 50, delay_ms: 50 } }),
      [UPSTREAM_ABORT]: h.hook,
    });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toMatch(/^data: /);
    await reader.cancel();
    expect(await mock.requests[0]!.closed).toBe("aborted");
  });

  it("takes an AbortSignal from callers other than the core", async () => {
    const controller = new AbortController();
    const pending = transport(`${mock.baseUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: body({ mock: { first_byte_delay_ms: 5_000 } }),
      signal: controller.signal,
    });
    await expect.poll(() => mock.requests.length).toBe(1);
    controller.abort();
    await expect(pending).rejects.toThrow();
    expect(await mock.requests[0]!.closed).toBe("aborted");
  });
});
