// The OpenAI chat dialect's relays on their own: a whole answer and an event stream, with the
// client's model id put back, usage read on the way, and an upstream's errors relayed clean.
import { describe, expect, it } from "vitest";
import { openAiChat } from "../../../../src/dialects/openai-chat/index.ts";
import type { StreamEnd } from "../../../../src/proxy/dialect.ts";
import { UpstreamCall } from "../../../../src/proxy/upstream-call.ts";

const SECRET = "sk-secret-relay-000111";
const request = (body: Record<string, unknown> = {}) => openAiChat.parse(JSON.stringify({ model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "Hi" }], ...body }));
const ctx = () => ({ call: new UpstreamCall({ firstByteMs: 5000, idleMs: 5000, totalMs: 10_000 }), clientModel: "openai/gpt-4o-mini", secrets: () => [SECRET] });

/** An upstream body delivered in exactly these pieces (events may straddle them). */
function pieces(parts: string[], failAt = Infinity): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i === failAt) return controller.error(new TypeError("terminated"));
      const next = parts[i++];
      if (next === undefined) return controller.close();
      controller.enqueue(encoder.encode(next));
    },
  });
}

const chunk = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", model: "gpt-4o-mini-2024", choices: [{ index: 0, delta }], ...extra })}\n\n`;
const usageChunk = `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", model: "gpt-4o-mini-2024", choices: [], usage: { prompt_tokens: 4, completion_tokens: 2 } })}\n\n`;

async function relay(parts: string[], body: Record<string, unknown> = { stream: true }, failAt?: number) {
  const ends: StreamEnd[] = [];
  const stream = await openAiChat.relayStream(request(body), pieces(parts, failAt), ctx(), (end) => ends.push(end));
  const text = await new Response(stream).text();
  const data = text
    .split("\n\n")
    .filter((e) => e.startsWith("data: "))
    .map((e) => e.slice(6));
  return { text, data, ends };
}

describe("openai chat: relaying a stream", () => {
  it("puts the client's model id into every chunk, across piece boundaries, and ends once with the usage", async () => {
    const whole = chunk({ content: "Hel" }) + chunk({ content: "lo" }) + usageChunk + "data: [DONE]\n\n";
    const { data, ends } = await relay([whole.slice(0, 17), whole.slice(17, 90), whole.slice(90)]);
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as { model: string; choices: unknown[] });
    expect(chunks.every((c) => c.model === "openai/gpt-4o-mini")).toBe(true);
    // The usage chunk the gateway asked for is not forwarded to a client that did not.
    expect(chunks.some((c) => c.choices.length === 0)).toBe(false);
    expect(ends).toEqual([{ usage: { prompt_tokens: 4, completion_tokens: 2 }, generatedChars: 5 }]);
  });

  it("forwards the usage chunk to a client that asked for it", async () => {
    const { data } = await relay([chunk({ content: "Hi" }), usageChunk, "data: [DONE]\n\n"], { stream: true, stream_options: { include_usage: true } });
    expect(data.some((d) => d.includes('"usage":{"prompt_tokens":4'))).toBe(true);
  });

  it("ends a stream the upstream dropped, or sent garbage in, with an error event and [DONE]", async () => {
    for (const parts of [[chunk({ content: "Hi" })], [chunk({ content: "Hi" }), "data: {not json\n\n"]]) {
      const { data, ends } = await relay(parts);
      expect(data.at(-1)).toBe("[DONE]");
      expect(JSON.parse(data.at(-2)!)).toMatchObject({ error: { code: "upstream_error", type: "upstream_error" } });
      expect(ends).toEqual([{ usage: undefined, generatedChars: 2 }]);
    }
    const broken = await relay([chunk({ content: "Hi" })], { stream: true }, 1);
    expect(broken.data.at(-1)).toBe("[DONE]");
  });

  it("rejects when the stream breaks before its first piece (the caller may still fail over)", async () => {
    const ends: StreamEnd[] = [];
    await expect(openAiChat.relayStream(request({ stream: true }), pieces([], 0), ctx(), (end) => ends.push(end))).rejects.toMatchObject({ status: 502 });
    expect(ends).toHaveLength(1);
  });

  it.each([
    ["ends without a single event", [] as string[], /ended the stream before its first chunk/],
    ["sends only comments, then ends", [": PROCESSING\n\n", ": PROCESSING\n\n"], /ended the stream before its first chunk/],
    ["opens with a malformed event", ["data: {not json\n\n"], /malformed stream event before its first chunk/],
    ["opens with an error event (quoting its key)", [`data: ${JSON.stringify({ error: { message: `rate limited for Bearer ${SECRET}` } })}\n\n`], /began with an error: rate limited for Bearer \[redacted\]$/],
  ])("rejects, before answering anything, a stream that %s (the caller may still fail over)", async (_what, parts, message) => {
    const ends: StreamEnd[] = [];
    const failed = await openAiChat.relayStream(request({ stream: true }), pieces(parts), ctx(), (end) => ends.push(end)).catch((e: unknown) => e);
    expect(failed).toMatchObject({ status: 502, code: "upstream_error" });
    expect(String((failed as Error).message)).toMatch(message);
    expect(String((failed as Error).message)).not.toContain(SECRET);
    expect(ends).toHaveLength(1);
  });

  it("reports a malformed event that arrives in the same read as the first good chunk in the stream", async () => {
    const { data, ends } = await relay([chunk({ content: "Hi" }) + "data: {not json\n\n"]);
    expect(data[0]).toContain('"content":"Hi"');
    expect(data[1]).toContain("malformed stream event");
    expect(data.at(-1)).toBe("[DONE]");
    expect(ends).toHaveLength(1);
  });

  it("holds comments that come before the first chunk and relays them with it", async () => {
    const { text, data } = await relay([": PROCESSING\n\n", chunk({ content: "Hi" }), "data: [DONE]\n\n"]);
    expect(text.startsWith(": PROCESSING\n\n")).toBe(true);
    expect(data).toHaveLength(2);
  });

  it("answers an empty but complete stream ([DONE] first)", async () => {
    const { data, ends } = await relay(["data: [DONE]\n\n"]);
    expect(data).toEqual(["[DONE]"]);
    expect(ends).toHaveLength(1);
  });

  it("relays an upstream's error event without the credentials it was sent", async () => {
    const echo = `data: ${JSON.stringify({ error: { message: `Incorrect API key provided: Bearer ${SECRET}`, code: "invalid_api_key" } })}\n\n`;
    const { text, data } = await relay([chunk({ content: "Hi" }), echo, "data: [DONE]\n\n"]);
    expect(text).not.toContain(SECRET);
    expect(data.some((d) => d.includes("Bearer [redacted]"))).toBe(true);
  });
});

describe("openai chat: relaying a whole answer", () => {
  const upstream = (status: number, body: string) => new Response(body, { status, headers: { "content-type": "application/json" } });

  it("puts the client's model id back, reads the usage, and keeps every other byte", async () => {
    const body = '{"id":"c1","model":"gpt-4o-mini-2024","choices":[{"index":0,"message":{"role":"assistant","content":"the \\"model\\" is"}}],"usage":{"prompt_tokens":7,"completion_tokens":3}}';
    const out = await openAiChat.relayDocument(request(), upstream(200, body), ctx());
    expect(out.usage).toEqual({ prompt_tokens: 7, completion_tokens: 3 });
    expect(out.text).toBe(body.replace('"gpt-4o-mini-2024"', '"openai/gpt-4o-mini"'));
  });

  it("estimates from the generated text when no usage came, and refuses a malformed answer", async () => {
    const out = await openAiChat.relayDocument(request(), upstream(200, '{"model":"m","choices":[{"message":{"content":"abcdef"}}]}'), ctx());
    expect(out).toMatchObject({ usage: undefined, generatedChars: 6 });
    await expect(openAiChat.relayDocument(request(), upstream(200, '{"model":'), ctx())).rejects.toMatchObject({ status: 502, code: "upstream_error" });
  });

  it("cleans an error inside a 200 answer of the credentials it was sent", async () => {
    const out = await openAiChat.relayDocument(request(), upstream(200, JSON.stringify({ error: { message: `bad key ${SECRET}` } })), ctx());
    expect(out.text).not.toContain(SECRET);
    expect(out.text).toContain("[redacted]");
  });
});

describe("openai chat: an upstream's error answer", () => {
  it("keeps its status and words in the gateway's shape, minus credentials", () => {
    const out = openAiChat.upstreamError(401, JSON.stringify({ error: { message: `Incorrect API key provided: ${SECRET}`, code: "invalid_api_key" } }), { ownersAccount: true, model: "openai/x", secrets: [SECRET] });
    expect(out.status).toBe(401);
    expect(out.body.error).toMatchObject({ code: "invalid_api_key", message: "Incorrect API key provided: [redacted]" });
  });
});
