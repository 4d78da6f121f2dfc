// A streamed answer relayed chunk by chunk, and how a stream ends when something goes wrong.
import { describe, expect, it } from "vitest";
import type { Conformance } from "../context.ts";
import { jsonEvents, readEvents } from "../sse.ts";

export function streamRelayCases(t: Conformance): void {
  const { mock, chat, hi } = t;
  describe("streaming relay", () => {
    it("relays SSE with the client's model id and hides the usage chunk it did not ask for", async () => {
      const res = await chat({ model: "openai/mock-model", messages: hi, stream: true });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/event-stream");
      expect(res.headers.get("x-gateway-model")).toBe("mock-model");
      const events = await readEvents(res);
      expect(events.at(-1)!.data).toBe("[DONE]");
      const chunks = jsonEvents(events);
      expect(chunks.every((c) => c.model === "openai/mock-model")).toBe(true);
      expect(chunks.some((c) => Array.isArray(c.choices) && c.choices.length === 0)).toBe(false);
      const text = chunks.map((c: Record<string, any>) => c.choices[0]?.delta?.content ?? "").join("");
      expect(text).toBe("Hello from mock");
      // The gateway asked the upstream for usage even though the client did not.
      expect(mock.requests[0]!.body).toMatchObject({ model: "mock-model", stream: true, stream_options: { include_usage: true } });
    });

    it("forwards the usage chunk when the client asked for it", async () => {
      const res = await chat({ model: "openai/mock-model", messages: hi, stream: true, stream_options: { include_usage: true } });
      const chunks = jsonEvents(await readEvents(res));
      const usage = chunks.filter((c) => Array.isArray(c.choices) && c.choices.length === 0);
      expect(usage).toHaveLength(1);
      expect(usage[0]!.usage).toMatchObject({ completion_tokens: 3 });
      expect(usage[0]!.model).toBe("openai/mock-model");
    });

    it("delivers each chunk as it arrives, not buffered", async () => {
      const sent = performance.now();
      const res = await chat({ model: "openai/mock-model", messages: hi, stream: true, mock: { chunks: 4, delay_ms: 150 } });
      const events = await readEvents(res);
      const content = events.filter((e) => e.data.includes('"content":"') && !e.data.includes('"content":""'));
      expect(content).toHaveLength(4);
      // Pieces are 150 ms apart upstream; buffering would make them arrive together.
      expect(content[3]!.at - content[0]!.at).toBeGreaterThan(300);
      expect(content[0]!.at - sent).toBeLessThan(content[3]!.at - sent - 300);
    });

    it("relays streamed tool calls", async () => {
      const res = await chat({ model: "openai/mock-model", messages: hi, stream: true, mock: { tool_calls: true } });
      const chunks = jsonEvents(await readEvents(res)) as Record<string, any>[];
      const args = chunks.flatMap((c) => c.choices.map((ch: any) => ch.delta?.tool_calls?.[0]?.function?.arguments ?? "")).join("");
      expect(args).toBe('{"city":"Paris"}');
      expect(chunks.find((c) => c.choices[0]?.delta?.tool_calls?.[0]?.id)).toBeTruthy();
    });

    it("turns a malformed upstream event into an error event and [DONE]", async () => {
      const res = await chat({ model: "openai/mock-model", messages: hi, stream: true, mock: { malformed: "json" } });
      expect(res.status).toBe(200);
      const events = await readEvents(res);
      expect(events.at(-1)!.data).toBe("[DONE]");
      const chunks = jsonEvents(events);
      expect(chunks.at(-1)).toMatchObject({ error: { code: "upstream_error", type: "upstream_error" } });
      expect(chunks.length).toBeGreaterThanOrEqual(2); // the good chunk before it was relayed
    });

    it("ends a stream the upstream dropped with an error event and [DONE]", async () => {
      const res = await chat({ model: "openai/mock-model", messages: hi, stream: true, mock: { malformed: "drop" } });
      const events = await readEvents(res);
      expect(events.at(-1)!.data).toBe("[DONE]");
      expect(jsonEvents(events).at(-1)).toMatchObject({ error: { code: "upstream_error" } });
    });

    it("ends a stream that outlives the total timeout with upstream_timeout", async () => {
      const res = await chat({ model: "openai/mock-model", messages: hi, stream: true, mock: { chunks: 20, delay_ms: 200 } });
      expect(res.status).toBe(200);
      const events = await readEvents(res);
      expect(events.at(-1)!.data).toBe("[DONE]");
      expect(jsonEvents(events).at(-1)).toMatchObject({ error: { code: "upstream_timeout" } });
      expect(await mock.requests[0]!.closed).toBe("aborted");
    });

    it("aborts the upstream request when the client disconnects", async () => {
      const ac = new AbortController();
      const res = await chat({ model: "openai/mock-model", messages: hi, stream: true, mock: { chunks: 50, delay_ms: 40 } }, { signal: ac.signal });
      const reader = res.body!.getReader();
      await reader.read();
      ac.abort();
      await reader.cancel().catch(() => {});
      const outcome = await Promise.race([
        mock.requests[0]!.closed,
        new Promise((r) => setTimeout(() => r("still open"), 1500)),
      ]);
      expect(outcome).toBe("aborted");
    });
  });
}
