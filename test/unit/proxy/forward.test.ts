// The attempt loop on its own: candidates admitted one by one, failures that let the next one try
// (before anything reached the client) and those that do not, and what it leaves for the outcome.
import { describe, expect, it } from "vitest";
import { openAiChat } from "../../../src/dialects/openai-chat/index.ts";
import type { Caller } from "../../../src/domain/caller.ts";
import type { UpstreamTarget } from "../../../src/domain/target.ts";
import type { RequestContext } from "../../../src/http/context.ts";
import { standardDocument } from "../../../src/http/document.ts";
import { GatewayError } from "../../../src/http/errors.ts";
import type { Admission, AdmitRequest } from "../../../src/policy/index.ts";
import { UNLIMITED } from "../../../src/policy/rate-limit.ts";
import type { FetchLike } from "../../../src/proxy/fetch-like.ts";
import { forwarder } from "../../../src/proxy/forward.ts";

const caller: Caller = { kind: "user", userId: "u1", via: "api_key", apiKeyId: "key_1", org: null, limits: { rpm: null, tpm: null } };

const target = (providerId: string, over: Partial<UpstreamTarget> = {}): UpstreamTarget => ({
  model: "route/test",
  providerId,
  kind: "builtin",
  baseUrl: `http://${providerId}.test/v1`,
  apiKey: `sk-${providerId}-0000`,
  extraHeaders: {},
  upstreamModel: `${providerId}-model`,
  charge: { kind: "owner" },
  contextLength: null,
  guarded: false,
  retry: null,
  health: null,
  ...over,
});

const completion = (model: string) =>
  JSON.stringify({ id: "c1", object: "chat.completion", created: 1, model, choices: [{ index: 0, message: { role: "assistant", content: "hi" } }], usage: { prompt_tokens: 3, completion_tokens: 1 } });

const json = (status: number, body: string) => new Response(body, { status, headers: { "content-type": "application/json" } });
const errorJson = (status: number, message: string, code = `e${status}`) => json(status, JSON.stringify({ error: { message, code } }));

const sse = (events: string[], failAfter = Infinity) => {
  const encoder = new TextEncoder();
  let i = 0;
  return new Response(
    new ReadableStream<Uint8Array>({
      pull(controller) {
        if (i >= failAfter) return controller.error(new TypeError("terminated"));
        const next = events[i++];
        if (next === undefined) return controller.close();
        controller.enqueue(encoder.encode(next));
      },
    }),
    { status: 200, headers: { "content-type": "text/event-stream" } },
  );
};

/** A transport answering per target host, recording what it was asked. */
function transport(answers: Record<string, () => Response | Promise<Response>>) {
  const calls: { url: string; body: string; authorization: string }[] = [];
  const fetch: FetchLike = async (input, init) => {
    const url = String(input);
    const headers = (init?.headers ?? {}) as Record<string, string>;
    calls.push({ url, body: String(init?.body ?? ""), authorization: headers.authorization ?? "" });
    const answer = answers[new URL(url).host];
    if (!answer) throw new TypeError("fetch failed");
    return answer();
  };
  return { fetch, calls };
}

function setUp(answers: Record<string, () => Response | Promise<Response>>, admit: (a: AdmitRequest) => Promise<Admission> = async () => ({ owner: { type: "user", id: "u1" }, rate: UNLIMITED })) {
  const t = transport(answers);
  const admitted: AdmitRequest[] = [];
  const sleeps: number[] = [];
  const forward = forwarder({
    fetch: t.fetch,
    ssrf: { trustedHosts: new Set() },
    document: standardDocument,
    admit: (a) => {
      admitted.push(a);
      return admit(a);
    },
    now: Date.now,
    firstByteTimeoutMs: 1000,
    idleTimeoutMs: 1000,
    totalTimeoutMs: 5000,
    maxAttempts: 5,
    backoff: { baseMs: 10, maxMs: 40, retryAfterCapMs: 100, random: () => 0.5 },
    sleep: async (ms) => void sleeps.push(ms),
    defaultCompletionTokens: 16,
  });
  const rc: RequestContext = { requestId: "req-1", startedAt: Date.now(), waitUntil: () => {}, onClientAbort: () => () => {}, caller, proxy: null, ended: null };
  const run = (targets: UpstreamTarget[], body: Record<string, unknown> = {}) =>
    forward({ dialect: openAiChat, request: openAiChat.parse(JSON.stringify({ model: "route/test", messages: [{ role: "user", content: "Hello" }], ...body })), http: new Request("http://gw/v1/chat/completions", { method: "POST" }), caller, targets, rc });
  return { run, rc, calls: t.calls, admitted, sleeps };
}

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
