// A non-streaming answer relayed: the model id rewritten both ways, the body and headers as allowed.
import { describe, expect, it } from "vitest";
import type { Conformance } from "../context.ts";
import { UPSTREAM_KEY } from "../settings.ts";

export function documentRelayCases(t: Conformance): void {
  const { fetch, gw, mock, chat, expectError, hi } = t;
  describe("non-streaming relay", () => {
    it("rewrites the model both ways and forwards unknown fields untouched", async () => {
      const res = await chat({ model: "openai/mock-model", messages: hi, temperature: 0.2, custom_field: { nested: [1, "two"] }, stream_options: null });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-gateway-provider")).toBe("openai");
      expect(res.headers.get("x-gateway-model")).toBe("mock-model");
      const body = (await res.json()) as Record<string, any>;
      expect(body.model).toBe("openai/mock-model");
      expect(body.choices[0].message.content).toBe("Hello from mock");
      expect(body.usage.completion_tokens).toBe(3);

      expect(mock.requests).toHaveLength(1);
      const up = mock.requests[0]!;
      expect(up.path).toBe("/v1/chat/completions");
      expect(up.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
      expect(up.body).toEqual({ model: "mock-model", messages: hi, temperature: 0.2, custom_field: { nested: [1, "two"] }, stream_options: null });
    });

    it("serves an operator-declared provider with its own key", async () => {
      const res = await chat({ model: "acme/acme-large", messages: hi });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { model: string }).model).toBe("acme/acme-large");
      expect(mock.requests[0]!.headers.authorization).toBe("Bearer sk-acme");
      expect(mock.requests[0]!.body).toMatchObject({ model: "acme-large" });
    });

    it("keeps nested slashes of the upstream model id", async () => {
      const res = await chat({ model: "openai/org/some-model", messages: hi });
      expect(((await res.json()) as { model: string }).model).toBe("openai/org/some-model");
      expect(mock.requests[0]!.body).toMatchObject({ model: "org/some-model" });
    });

    it("serves a model id no header can carry as it is, naming it percent-encoded in x-gateway-model", async () => {
      const upstreamModel = "模型-large";
      const res = await chat({ model: `openai/${upstreamModel}`, messages: hi });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-gateway-model")).toBe(encodeURIComponent(upstreamModel));
      expect(((await res.json()) as { model: string }).model).toBe(`openai/${upstreamModel}`);
      expect(mock.requests.map((r) => (r.body as { model: string }).model)).toEqual([upstreamModel]);
    });

    it("answers the same whichever way the path is written (query string, trailing slash)", async () => {
      for (const path of ["/v1/chat/completions?trace=1", "/v1/chat/completions/"]) {
        const res = await fetch(`${gw.url}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${t.apiKey}` },
          body: JSON.stringify({ model: "openai/mock-model", messages: hi }),
        });
        expect(res.status).toBe(200);
        expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
        expect(((await res.json()) as { model: string }).model).toBe("openai/mock-model");
        const bad = await fetch(`${gw.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
        await expectError(bad, 400, "invalid_json");
      }
    });

    it("relays tool calls", async () => {
      const res = await chat({ model: "openai/mock-model", messages: hi, mock: { tool_calls: true } });
      const body = (await res.json()) as Record<string, any>;
      expect(body.choices[0].finish_reason).toBe("tool_calls");
      expect(body.choices[0].message.tool_calls[0].function).toEqual({ name: "get_weather", arguments: '{"city":"Paris"}' });
    });

    it("forwards only allow-listed upstream headers", async () => {
      const res = await chat({
        model: "openai/mock-model",
        messages: hi,
        mock: { headers: { "set-cookie": "session=secret", server: "mock/1.0", "openai-processing-ms": "12", "x-request-id": "req_up_1", "x-secret-thing": "no" } },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("set-cookie")).toBeNull();
      expect(res.headers.get("x-secret-thing")).toBeNull();
      expect(res.headers.get("server") ?? "").not.toContain("mock");
      expect(res.headers.get("openai-processing-ms")).toBe("12");
      expect(res.headers.get("x-upstream-request-id")).toBe("req_up_1");
      expect(res.headers.get("x-request-id")).not.toBe("req_up_1");
    });
  });
}
