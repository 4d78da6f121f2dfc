// Requests refused before any upstream is called: size, JSON, model ids, routes and methods.
import { describe, expect, it } from "vitest";
import type { Conformance } from "../context.ts";
import { MAX_BODY } from "../settings.ts";

export function badRequestCases(t: Conformance): void {
  const { fetch, gw, mock, chat, expectError, hi } = t;
  describe("bad requests", () => {
    it("413 for a body over the limit", async () => {
      const res = await chat({ model: "openai/mock-model", messages: [{ role: "user", content: "x".repeat(MAX_BODY) }] });
      await expectError(res, 413, "body_too_large");
      expect(mock.requests).toHaveLength(0);
    });

    it("413 for a streamed body without a length that grows past the limit", async () => {
      const piece = new TextEncoder().encode(" ".repeat(16 * 1024));
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < 8) controller.enqueue(piece);
          else controller.close();
        },
      });
      const init: RequestInit & { duplex: "half" } = { method: "POST", headers: { "content-type": "application/json" }, body, duplex: "half" };
      await expectError(await fetch(`${gw.url}/v1/chat/completions`, init), 413, "body_too_large");
      expect(mock.requests).toHaveLength(0);
    });

    it("accepts a streamed body without a length under the limit", async () => {
      const bytes = new TextEncoder().encode(JSON.stringify({ model: "openai/mock-model", messages: hi }));
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(bytes.slice(0, 10));
          controller.enqueue(bytes.slice(10));
          controller.close();
        },
      });
      const init: RequestInit & { duplex: "half" } = {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${t.apiKey}` },
        body,
        duplex: "half",
      };
      const res = await fetch(`${gw.url}/v1/chat/completions`, init);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { model: string }).model).toBe("openai/mock-model");
    });

    it("400 invalid_json", async () => {
      await expectError(await chat("{not json"), 400, "invalid_json");
    });

    it("400 for a missing or empty model", async () => {
      const err = await expectError(await chat({ messages: hi }), 400, "invalid_model");
      expect(err.param).toBe("model");
      await expectError(await chat({ model: "", messages: hi }), 400, "invalid_model");
    });

    it("400 for missing messages and a non-boolean stream", async () => {
      const err = await expectError(await chat({ model: "openai/mock-model" }), 400, "invalid_body");
      expect(err.param).toBe("messages");
      await expectError(await chat({ model: "openai/mock-model", messages: [] }), 400, "invalid_body");
      await expectError(await chat({ model: "openai/mock-model", messages: hi, stream: "yes" }), 400, "invalid_body");
      await expectError(await chat([1, 2]), 400, "invalid_body");
    });

    it("404 model_not_found for an unknown provider or a bare unknown model", async () => {
      await expectError(await chat({ model: "groq/llama", messages: hi }), 404, "model_not_found");
      await expectError(await chat({ model: "gpt-4o", messages: hi }), 404, "model_not_found");
      expect(mock.requests).toHaveLength(0);
    });

    it("serves only catalog models on the operator's key: 404 for one it does not list", async () => {
      const err = await expectError(await chat({ model: "openai/not-in-the-catalog", messages: hi }), 404, "model_not_found");
      expect(err.message).toContain("catalog");
      expect(mock.requests).toHaveLength(0);
    });

    it("400 invalid_model for a model id no header or ledger row can carry, before any upstream call", async () => {
      const unusable = ["openai/tab\there", "openai/nul\u0000x", "openai/del\u007f", "openai/line\u2028sep", `openai/${"m".repeat(400)}`, " openai/mock-model", "openai/mock-model\n"];
      for (const model of unusable) {
        const err = await expectError(await chat({ model, messages: hi }), 400, "invalid_model");
        expect(err.param).toBe("model");
      }
      // An unpaired surrogate, written the way a client's JSON encoder escapes it.
      await expectError(await chat('{"model":"openai/\\ud800","messages":[{"role":"user","content":"hi"}]}'), 400, "invalid_model");
      expect(mock.requests).toHaveLength(0);
    });

    it("400 invalid_json for a body nested deeper than the gateway reads, streaming or not", async () => {
      for (const stream of [true, false]) {
        const deep = `{"model":"openai/mock-model","messages":${JSON.stringify(hi)},"stream":${stream},"extra":${"[".repeat(5000)}${"]".repeat(5000)}}`;
        const err = await expectError(await chat(deep), 400, "invalid_json");
        expect(err.message).toContain("deep");
      }
      expect(mock.requests).toHaveLength(0);
    });

    it("forwards exactly one model, the one authorised and billed, whatever the duplicate keys", async () => {
      // JSON.parse keeps the last of duplicate keys; an upstream that keeps the first must not
      // see another model than the one the gateway resolved.
      const bodies = [
        `{"mod\\u0065l":"openai/free-mock","model":"openai/mock-model","messages":${JSON.stringify(hi)}}`,
        `{"model":"openai/free-mock","mod\\u0065l":"openai/mock-model","messages":${JSON.stringify(hi)}}`,
        `{"model":"openai/free-mock","messages":${JSON.stringify(hi)},"model":"openai/mock-model"}`,
      ];
      for (const body of bodies) {
        const res = await chat(body);
        expect(res.status).toBe(200);
        expect(((await res.json()) as { model: string }).model).toBe("openai/mock-model");
      }
      expect(mock.requests).toHaveLength(bodies.length);
      for (const up of mock.requests) {
        expect(up.raw.match(/"model"\s*:/g)).toHaveLength(1);
        expect(up.raw).not.toContain("\\u0065");
        expect(up.body).toMatchObject({ model: "mock-model" });
      }
    });

    it("404 route_not_found and 405 method_not_allowed", async () => {
      await expectError(await fetch(`${gw.url}/v1/nope`), 404, "route_not_found");
      const res = await fetch(`${gw.url}/v1/chat/completions`);
      await expectError(res, 405, "method_not_allowed");
      expect(res.headers.get("allow")).toContain("POST");
      await expectError(await fetch(`${gw.url}/v1/models`, { method: "POST" }), 405, "method_not_allowed");
    });
  });
}
