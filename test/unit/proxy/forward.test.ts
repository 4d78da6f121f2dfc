// The attempt loop on its own: candidates admitted one by one, failures that let the next one try
// (before anything reached the client) and those that do not, and what it leaves for the outcome.
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../../src/http/errors.ts";
import { UNLIMITED } from "../../../src/policy/rate-limit.ts";
import { completion, errorJson, json, setUp, sse, target } from "./forward-harness.ts";

describe("forward", () => {
  it("relays one target's answer with the client's model id and leaves the outcome's facts", async () => {
    const { run, rc, calls } = setUp({ "a.test": () => json(200, completion("a-model")) });
    const res = await run([target("a")]);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-gateway-provider")).toBe("a");
    expect(((await res.json()) as { model: string }).model).toBe("route/test");
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ url: "http://a.test/v1/chat/completions", authorization: "Bearer sk-a-0000" });
    expect(JSON.parse(calls[0]!.body)).toMatchObject({ model: "a-model" });
    expect(rc.proxy).toMatchObject({ model: "route/test", owner: { type: "user", id: "u1" }, apiKeyId: "key_1", target: { providerId: "a" }, usage: { prompt_tokens: 3, completion_tokens: 1 } });
    expect(rc.proxy?.attempts).toEqual([expect.objectContaining({ status: 200, failure: null })]);
    expect(rc.ended).toBeNull();
  });

  it("skips a candidate the caller may not use, with its reason, and counts the request once", async () => {
    const { run, rc, admitted } = setUp({ "b.test": () => json(200, completion("b-model")) }, async (a) => {
      if (a.target.providerId === "a") throw new GatewayError(403, "provider_not_allowed", "Your organization does not allow the provider \"a\".");
      return { owner: { type: "user", id: "u1" }, rate: UNLIMITED };
    });
    const res = await run([target("a"), target("b")]);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-gateway-provider")).toBe("b");
    expect(rc.proxy?.attempts.map((x) => [x.target?.providerId, x.failure, x.status])).toEqual([
      ["a", "refused", 403],
      ["b", null, 200],
    ]);
    expect(rc.proxy?.attempts[0]?.reason).toContain("does not allow");
    expect(admitted.map((a) => a.target.providerId)).toEqual(["a", "b"]);
  });

  it("answers the last candidate's refusal when no candidate may be used", async () => {
    const { run, rc } = setUp({}, async () => {
      throw new GatewayError(402, "insufficient_credits", "no credit");
    });
    await expect(run([target("a")])).rejects.toMatchObject({ status: 402, code: "insufficient_credits" });
    // Nothing was called: nothing to account.
    expect(rc.proxy?.target).toBeNull();
  });

  it.each([
    ["503", () => errorJson(503, "overloaded")],
    ["429", () => errorJson(429, "slow down")],
    ["500", () => errorJson(500, "boom")],
    ["an unreachable upstream", undefined],
    ["a context overflow", () => errorJson(400, "This model's maximum context length is 8192 tokens", "context_length_exceeded")],
  ])("fails over on %s before anything reached the client", async (_what, first) => {
    const answers: Record<string, () => Response> = { "b.test": () => json(200, completion("b-model")) };
    if (first) answers["a.test"] = first;
    const { run, rc, calls } = setUp(answers);
    const res = await run([target("a"), target("b")]);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-gateway-provider")).toBe("b");
    expect(calls.map((c) => new URL(c.url).host)).toEqual(["a.test", "b.test"]);
    expect(rc.proxy?.target?.providerId).toBe("b");
    expect(rc.proxy?.attempts.map((x) => x.failure)).toEqual([first ? "status" : "connect", null]);
  });

  it("does not fail over on a request the next candidate would refuse too (400), and relays it", async () => {
    const { run, calls } = setUp({ "a.test": () => errorJson(400, "temperature must be <= 2"), "b.test": () => json(200, completion("b-model")) });
    const res = await run([target("a"), target("b")]);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe("temperature must be <= 2");
    expect(calls).toHaveLength(1);
  });

  it("relays the last candidate's own failure when every one failed", async () => {
    const { run, rc } = setUp({ "a.test": () => errorJson(503, "a is down"), "b.test": () => errorJson(502, "b is down") });
    const res = await run([target("a"), target("b")]);
    expect(res.status).toBe(502);
    expect(rc.proxy?.attempts.map((x) => x.status)).toEqual([503, 502]);
  });

  it("a 402 on the operator's key fails over; on the caller's own account it is theirs to see", async () => {
    const operators = setUp({ "a.test": () => errorJson(402, "quota"), "b.test": () => json(200, completion("b-model")) });
    expect((await operators.run([target("a", { charge: { kind: "free" } }), target("b")])).status).toBe(200);
    const own = setUp({ "a.test": () => errorJson(402, "your quota"), "b.test": () => json(200, completion("b-model")) });
    expect((await own.run([target("a"), target("b")])).status).toBe(402);
  });

  it("fails a stream over when it breaks before its first chunk, and not after", async () => {
    const chunk = `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", model: "x", choices: [{ index: 0, delta: { content: "Hel" } }] })}\n\n`;
    const early = setUp({ "a.test": () => sse([], 0), "b.test": () => sse([chunk, "data: [DONE]\n\n"]) });
    const res = await early.run([target("a"), target("b")], { stream: true });
    expect(res.headers.get("x-gateway-provider")).toBe("b");
    expect(await res.text()).toContain("[DONE]");
    expect(early.rc.proxy?.attempts.map((x) => x.failure)).toEqual(["broken", null]);

    const late = setUp({ "a.test": () => sse([chunk], 1), "b.test": () => sse([chunk, "data: [DONE]\n\n"]) });
    const started = await late.run([target("a"), target("b")], { stream: true });
    expect(started.headers.get("x-gateway-provider")).toBe("a");
    const text = await started.text();
    // After output has started, a failure is an error event and [DONE], never another upstream.
    expect(text).toContain("Hel");
    expect(text).toContain('"code":"upstream_error"');
    expect(text.trim().endsWith("data: [DONE]")).toBe(true);
    expect(late.calls).toHaveLength(1);
  });

  it("hands over when a stream ends, with what it delivered, for the outcome", async () => {
    const usage = `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", model: "x", choices: [], usage: { prompt_tokens: 5, completion_tokens: 2 } })}\n\n`;
    const chunk = `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", model: "x", choices: [{ index: 0, delta: { content: "Hi" } }] })}\n\n`;
    const { run, rc } = setUp({ "a.test": () => sse([chunk, usage, "data: [DONE]\n\n"]) });
    const res = await run([target("a")], { stream: true });
    expect(rc.ended).not.toBeNull();
    expect(rc.proxy?.usage).toBeUndefined();
    await res.text();
    await rc.ended;
    expect(rc.proxy?.usage).toEqual({ prompt_tokens: 5, completion_tokens: 2 });
  });
});
