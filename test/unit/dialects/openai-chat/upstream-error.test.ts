// Whose problem an upstream error is: the operator's billing (402 on the operator's key) is
// hidden as 503; the caller's own (BYOK) is relayed; a prompt over the context window becomes
// one readable 400 whatever the provider called it.
import { describe, expect, it } from "vitest";
import { normaliseUpstreamError } from "../../../../src/dialects/openai-chat/upstream-error.ts";

const operator = { ownersAccount: false, model: "openai/gpt-4o", secrets: [] };
const own = { ownersAccount: true, model: "openai/gpt-4o", secrets: [] };
const body = (error: Record<string, unknown>) => JSON.stringify({ error });

describe("upstream errors", () => {
  it("402 on the operator's key -> 503 upstream_unavailable, saying nothing about billing", () => {
    const out = normaliseUpstreamError(402, body({ message: "You exceeded your current quota, please check your plan and billing details.", code: "insufficient_quota" }), operator);
    expect(out.status).toBe(503);
    expect(out.body.error).toMatchObject({ code: "upstream_unavailable", type: "upstream_error" });
    expect(out.body.error.message).not.toMatch(/quota|billing|plan/);
  });

  it("402 on the caller's own key is relayed: it is their account", () => {
    const out = normaliseUpstreamError(402, body({ message: "Insufficient credits on your key", code: "insufficient_quota" }), own);
    expect(out.status).toBe(402);
    expect(out.body.error).toMatchObject({ code: "insufficient_quota", type: "insufficient_quota", message: "Insufficient credits on your key" });
  });

  it.each([
    [400, body({ message: "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.", code: "context_length_exceeded", param: "messages" })],
    [400, body({ message: "prompt is too long: 210000 tokens > 200000 maximum", type: "invalid_request_error" })],
    [400, JSON.stringify({ message: "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens" })],
    [413, body({ message: "Request too large: too many tokens for the context window" })],
    [422, body({ message: "Input is too long for requested model." })],
  ])("%i context errors -> 400 context_length_exceeded", (status, text) => {
    const out = normaliseUpstreamError(status, text, operator);
    expect(out.status).toBe(400);
    expect(out.body.error).toMatchObject({ code: "context_length_exceeded", type: "invalid_request_error", param: "messages" });
    expect(out.body.error.message).toContain('too long for "openai/gpt-4o"');
  });

  it("leaves other errors as they were", () => {
    expect(normaliseUpstreamError(400, body({ message: "temperature must be <= 2", code: "invalid_value", param: "temperature" }), operator)).toEqual({
      status: 400,
      body: { error: { message: "temperature must be <= 2", type: "invalid_request_error", code: "invalid_value", param: "temperature" } },
    });
    expect(normaliseUpstreamError(500, "<html>oops</html>", operator).status).toBe(502);
    expect(normaliseUpstreamError(429, body({ message: "slow down" }), operator)).toMatchObject({ status: 429, body: { error: { code: "upstream_error" } } });
  });
});
