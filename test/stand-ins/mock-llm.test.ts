// The mock upstream itself, checked through the official openai SDK and raw fetch: every other
// suite and the benchmark trust it to behave like OpenAI.
import { spawn } from "node:child_process";
import { once } from "node:events";
import OpenAI, { APIError } from "openai";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from "openai/resources/chat/completions";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { jsonEvents, readEvents } from "../conformance/sse.ts";
import { startMockLlm, type MockLlm } from "../support/mock-llm/index.ts";

type Steer = Record<string, unknown>;
type ErrorBody = { error: Record<string, unknown> };
const chunksOf = (events: Awaited<ReturnType<typeof readEvents>>) => jsonEvents(events) as unknown as ChatCompletionChunk[];
const messages = [{ role: "user" as const, content: "Hello there, mock!" }]; // 18 chars -> 5 tokens

describe("mock LLM upstream", () => {
  let mock: MockLlm;
  let client: OpenAI;

  beforeAll(async () => {
    mock = await startMockLlm();
    client = new OpenAI({ baseURL: mock.baseUrl, apiKey: "sk-test", maxRetries: 0 });
  });
  afterAll(() => mock?.close());
  beforeEach(() => mock.reset());

  const post = (body: unknown, init: RequestInit = {}) =>
    fetch(`${mock.baseUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
      ...init,
    });
  // A variable (not a literal) so the extra `mock` field passes the SDK's parameter types.
  const nonStream = (mockSteer?: Steer): ChatCompletionCreateParamsNonStreaming => {
    const params = { model: "some/model", messages, mock: mockSteer };
    return params;
  };
  const streaming = (mockSteer?: Steer, includeUsage = false): ChatCompletionCreateParamsStreaming => {
    const params = { model: "some/model", messages, stream: true as const, mock: mockSteer, stream_options: includeUsage ? { include_usage: true } : undefined };
    return params;
  };

  describe("non-streaming", () => {
    it("answers like OpenAI and records the request", async () => {
      const completion = await client.chat.completions.create(nonStream());
      expect(completion.id).toMatch(/^chatcmpl-/);
      expect(completion.object).toBe("chat.completion");
      expect(completion.model).toBe("some/model");
      expect(completion.choices[0]).toMatchObject({ index: 0, finish_reason: "stop", logprobs: null, message: { role: "assistant", content: "Hello from mock", refusal: null } });
      expect(completion.usage).toEqual({ prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });

      expect(mock.requests).toHaveLength(1);
      const req = mock.requests[0]!;
      expect(req).toMatchObject({ method: "POST", path: "/v1/chat/completions", body: { model: "some/model", messages } });
      expect(req.headers.authorization).toBe("Bearer sk-test");
      expect(await req.closed).toBe("completed");
    });

    it("shapes content by chunks, omits usage with no_usage and sets extra headers", async () => {
      const res = await post({ model: "m", messages, mock: { chunks: 5, no_usage: true, headers: { "x-request-id": "req_1", "openai-processing-ms": "7" } } });
      expect(res.headers.get("x-request-id")).toBe("req_1");
      expect(res.headers.get("openai-processing-ms")).toBe("7");
      const body = (await res.json()) as ChatCompletion;
      expect(body.choices[0]!.message.content).toBe("Hello from mock tok3 tok4");
      expect("usage" in body).toBe(false);
    });

    it("returns a tool call", async () => {
      const completion = await client.chat.completions.create(nonStream({ tool_calls: true }));
      const choice = completion.choices[0]!;
      expect(choice.finish_reason).toBe("tool_calls");
      expect(choice.message.content).toBeNull();
      expect(choice.message.tool_calls?.[0]).toMatchObject({ id: expect.stringMatching(/^call_/), type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } });
    });

    it("waits first_byte_delay_ms before the headers", async () => {
      const started = performance.now();
      const res = await post({ model: "m", messages, mock: { first_byte_delay_ms: 250 } });
      expect(performance.now() - started).toBeGreaterThanOrEqual(240);
      expect(res.status).toBe(200);
    });
  });

  describe("streaming", () => {
    it("streams role, pieces, finish and [DONE] without any usage field by default", async () => {
      const events = await readEvents(await post(streaming()));
      expect(events.at(-1)!.data).toBe("[DONE]");
      const chunks = chunksOf(events);
      expect(chunks).toHaveLength(5);
      expect(chunks.every((c) => c.object === "chat.completion.chunk" && c.model === "some/model" && c.id === chunks[0]!.id)).toBe(true);
      expect(chunks.some((c) => "usage" in c)).toBe(false);
      expect(chunks[0]!.choices[0]).toEqual({ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null });
      expect(chunks.slice(1, 4).map((c) => c.choices[0]?.delta)).toEqual([{ content: "Hello" }, { content: " from" }, { content: " mock" }]);
      expect(chunks[4]!.choices[0]).toMatchObject({ delta: {}, finish_reason: "stop" });
    });

    it("adds usage: null to every chunk and a final usage chunk with include_usage", async () => {
      const chunks = chunksOf(await readEvents(await post(streaming(undefined, true))));
      const last = chunks.at(-1)!;
      expect(last.choices).toEqual([]);
      expect(last.usage).toEqual({ prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });
      expect(chunks.slice(0, -1).every((c) => c.usage === null && c.choices.length === 1)).toBe(true);
    });

    it("omits usage with no_usage even when include_usage is asked", async () => {
      const chunks = chunksOf(await readEvents(await post(streaming({ no_usage: true }, true))));
      expect(chunks.some((c) => "usage" in c || c.choices.length === 0)).toBe(false);
    });

    it("is read by the SDK, usage included", async () => {
      let text = "";
      let usage: unknown;
      for await (const chunk of await client.chat.completions.create(streaming({ chunks: 4 }, true))) {
        text += chunk.choices[0]?.delta.content ?? "";
        if (chunk.usage) usage = chunk.usage;
      }
      expect(text).toBe("Hello from mock tok3");
      expect(usage).toEqual({ prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 });
    });

    it("writes each piece separately, delay_ms apart", async () => {
      const events = await readEvents(await post(streaming({ chunks: 4, delay_ms: 120 })));
      const pieces = events.filter((e) => /"content":"[^"]/.test(e.data));
      expect(pieces).toHaveLength(4);
      for (let i = 1; i < pieces.length; i++) expect(pieces[i]!.at - pieces[i - 1]!.at).toBeGreaterThan(90);
    });

    it("streams a tool call the way OpenAI does, and the SDK assembles it", async () => {
      const chunks = chunksOf(await readEvents(await post(streaming({ tool_calls: true }))));
      const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
      expect(calls[0]).toMatchObject({ index: 0, id: expect.stringMatching(/^call_/), type: "function", function: { name: "get_weather", arguments: "" } });
      expect(calls.length).toBeGreaterThanOrEqual(3);
      expect(calls.slice(1).every((c) => c.index === 0 && c.id === undefined && c.function?.name === undefined)).toBe(true);
      expect(calls.map((c) => c.function?.arguments).join("")).toBe('{"city":"Paris"}');
      expect(chunks.at(-1)!.choices[0]?.finish_reason).toBe("tool_calls");

      const final = await client.chat.completions.stream(streaming({ tool_calls: true })).finalChatCompletion();
      expect(final.choices[0]?.message.tool_calls?.[0]).toMatchObject({ type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } });
    });
  });

  describe("failures on request", () => {
    it("answers status with an OpenAI error the SDK surfaces as APIError", async () => {
      for (const [status, type] of [[400, "invalid_request_error"], [503, "server_error"]] as const) {
        const err = await client.chat.completions.create(nonStream({ status })).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(APIError);
        expect(err).toMatchObject({ status, code: `mock_${status}`, type, message: expect.stringContaining("mock upstream error") });
      }
    });

    it("by_model steers the request whose model it names, over the rest of mock", async () => {
      const steer = { chunks: 1, by_model: { "bad/one": { status: 503 }, "slow/one": { chunks: 2 } } };
      expect((await post({ model: "bad/one", messages, mock: steer })).status).toBe(503);
      const slow = (await (await post({ model: "slow/one", messages, mock: steer })).json()) as { choices: { message: { content: string } }[] };
      expect(slow.choices[0]?.message.content).toBe("Hello from");
      const other = (await (await post({ model: "good/one", messages, mock: steer })).json()) as { choices: { message: { content: string } }[] };
      expect(other.choices[0]?.message.content).toBe("Hello");
      // Only the model's own entry: inherited names steer nothing.
      expect((await post({ model: "constructor", messages, mock: steer })).status).toBe(200);
    });

    it("sends error_body verbatim, as HTML when it looks like HTML", async () => {
      const html = await post({ model: "m", messages, stream: true, mock: { status: 502, error_body: "<html>oops</html>" } });
      expect(html.status).toBe(502);
      expect(html.headers.get("content-type")).toContain("text/html");
      expect(await html.text()).toBe("<html>oops</html>");
      const json = await post({ model: "m", messages, mock: { status: 429, error_body: '{"error":"slow down"}' } });
      expect(json.headers.get("content-type")).toContain("application/json");
      expect(await json.json()).toEqual({ error: "slow down" });
    });

    it("malformed json: a truncated body, or one good chunk then a broken event", async () => {
      const res = await post({ model: "m", messages, mock: { malformed: "json" } });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text.startsWith('{"id":"chatcmpl-')).toBe(true);
      expect(() => JSON.parse(text)).toThrow();

      const events = await readEvents(await post(streaming({ malformed: "json" })));
      expect(events.map((e) => e.data.slice(0, 9))).toEqual(['{"id":"ch', "{not json"]);
      expect(JSON.parse(events[0]!.data).choices[0].delta.content).toBe("Hello");
    });

    it("malformed drop: the connection dies after one chunk (or after the headers)", async () => {
      const res = await post(streaming({ malformed: "drop" }));
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const first = await reader.read();
      expect(new TextDecoder().decode(first.value)).toContain('"content":"Hello"');
      await expect(reader.read()).rejects.toThrow();
      expect(await mock.requests[0]!.closed).toBe("completed"); // the mock's own doing, not the client's

      const plain = await post({ model: "m", messages, mock: { malformed: "drop" } });
      expect(plain.status).toBe(200);
      await expect(plain.text()).rejects.toThrow();
    });

    it("answers 400 to a body that is not JSON, 404 elsewhere, and lists its model", async () => {
      const bad = await post("{not json");
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as ErrorBody).error).toEqual({ message: expect.any(String), type: "invalid_request_error", code: "invalid_json", param: null });
      expect(mock.requests[0]!.body).toBe("{not json");

      const missing = await fetch(`${mock.baseUrl}/embeddings`, { method: "POST", body: "{}" });
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as ErrorBody).error.code).toBe("not_found");

      const models = await client.models.list();
      expect(models.data).toEqual([{ id: "mock-model", object: "model", created: expect.any(Number), owned_by: "mock" }]);
    });
  });

  describe("connection outcome", () => {
    it("resolves closed as aborted when the client leaves mid-stream", async () => {
      const ac = new AbortController();
      const res = await post(streaming({ chunks: 50, delay_ms: 30 }), { signal: ac.signal });
      const reader = res.body!.getReader();
      await reader.read();
      ac.abort();
      await reader.cancel().catch(() => {});
      expect(await mock.requests[0]!.closed).toBe("aborted");
    });

    it("resolves closed as completed when the stream was read to the end", async () => {
      await readEvents(await post(streaming({ chunks: 2, delay_ms: 10 })));
      expect(await mock.requests[0]!.closed).toBe("completed");
    });
  });
});

describe("mock LLM options", () => {
  it("enforces apiKey with a 401 in OpenAI's shape", async () => {
    const mock = await startMockLlm({ apiKey: "sk-right" });
    try {
      const wrong = new OpenAI({ baseURL: mock.baseUrl, apiKey: "sk-wrong", maxRetries: 0 });
      const err = await wrong.models.list().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(APIError);
      expect(err).toMatchObject({ status: 401, code: "invalid_api_key" });
      const none = await fetch(`${mock.baseUrl}/models`);
      expect(none.status).toBe(401);
      const right = new OpenAI({ baseURL: mock.baseUrl, apiKey: "sk-right", maxRetries: 0 });
      expect((await right.models.list()).data[0]?.id).toBe("mock-model");
    } finally {
      await mock.close();
    }
  });

  it("keeps no requests with record: false", async () => {
    const mock = await startMockLlm({ record: false });
    try {
      const res = await fetch(`${mock.baseUrl}/chat/completions`, { method: "POST", body: JSON.stringify({ model: "m", messages }) });
      expect(res.status).toBe(200);
      await res.text();
      expect(mock.requests).toEqual([]);
    } finally {
      await mock.close();
    }
  });

  it("close() ends open streams", async () => {
    const mock = await startMockLlm();
    const res = await fetch(`${mock.baseUrl}/chat/completions`, { method: "POST", body: JSON.stringify({ model: "m", messages, stream: true, mock: { chunks: 100, delay_ms: 50 } }) });
    const reader = res.body!.getReader();
    await reader.read();
    await mock.close();
    await expect(reader.read()).rejects.toThrow();
    expect(await mock.requests[0]!.closed).toBe("aborted");
  });

  it("runs from the CLI, prints its url, and exits on SIGTERM", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "test/support/mock-llm/cli.ts", "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      const [line] = (await once(child.stdout, "data")) as [Buffer];
      const printed = JSON.parse(line.toString()) as { url: string };
      expect(printed.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${printed.url}/v1/chat/completions`, { method: "POST", body: JSON.stringify({ model: "m", messages }) });
      expect(((await res.json()) as ChatCompletion).choices[0]!.message.content).toBe("Hello from mock");
      child.kill("SIGTERM");
      const [code] = await once(child, "exit");
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
