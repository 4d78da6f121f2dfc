// The official openai SDK, unmodified, against the gateway: what real clients will do.
import OpenAI, { APIError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMockLlm, type MockLlm } from "../support/mock-llm/index.ts";
import { startNode } from "../support/runtimes/node.ts";
import { SignJWT } from "jose";
import { ADMIN_TOKEN, JWT_SECRET } from "../conformance/suite.ts";
import type { ChatCompletionCreateParamsStreaming } from "openai/resources/chat/completions";
import type { ChatCompletionStreamParams } from "openai/lib/ChatCompletionStream";

interface Steering {
  mock: Record<string, unknown>;
}

describe("openai SDK against the gateway", () => {
  let mock: MockLlm;
  let gw: { url: string; close(): Promise<void> };
  let client: OpenAI;

  const userId = "sdk-user";
  const sdk = (apiKey: string) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey, maxRetries: 0 });
  const jwt = (claims: Record<string, unknown>, expiresInS = 300) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256" })
      .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInS)
      .sign(new TextEncoder().encode(JWT_SECRET));
  const admin = (path: string, body?: unknown) =>
    fetch(`${gw.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  beforeAll(async () => {
    mock = await startMockLlm();
    gw = await startNode({
      OPENAI_API_KEY: "sk-upstream",
      OPENAI_BASE_URL: mock.baseUrl,
      GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN,
      GATEWAY_JWT_SECRET: JWT_SECRET,
    });
    expect((await admin("/admin/users", { id: userId })).status).toBe(201);
    // On the operator's key only priced catalog models are served, to callers with credit.
    expect((await admin("/admin/models", { id: "openai/mock-model", provider: "openai", input_price: 0.15, output_price: 0.6 })).status).toBe(200);
    expect((await admin("/admin/credits", { owner: { type: "user", id: userId }, amount_microdollars: 1_000_000_000 })).status).toBe(200);
    const created = await admin("/admin/api-keys", { owner: { type: "user", id: userId } });
    client = sdk(((await created.json()) as { key: string }).key);
  });

  afterAll(async () => {
    await gw?.close();
    await mock?.close();
  });

  it("creates a completion", async () => {
    const completion = await client.chat.completions.create({
      model: "openai/mock-model",
      messages: [{ role: "user", content: "Hello" }],
    });
    expect(completion.model).toBe("openai/mock-model");
    expect(completion.choices[0]?.message.content).toBe("Hello from mock");
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);
  });

  it("streams a completion", async () => {
    const stream = await client.chat.completions.create({
      model: "openai/mock-model",
      messages: [{ role: "user", content: "Hello" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usageSeen = false;
    for await (const chunk of stream) {
      expect(chunk.model).toBe("openai/mock-model");
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usageSeen = true;
    }
    expect(text).toBe("Hello from mock");
    expect(usageSeen).toBe(true);
  });

  it("streams tool calls the SDK can assemble", async () => {
    // `mock` steers the mock upstream; the gateway forwards unknown fields, the SDK types don't know it.
    const params: ChatCompletionStreamParams & Steering = {
      model: "openai/mock-model",
      messages: [{ role: "user", content: "Weather?" }],
      tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: {} } } }],
      mock: { tool_calls: true },
    };
    const runner = client.chat.completions.stream(params);
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]?.message.tool_calls?.[0]).toMatchObject({ function: { name: "get_weather", arguments: '{"city":"Paris"}' } });
  });

  it("surfaces gateway errors as APIError with status and code", async () => {
    const err = await client.chat.completions
      .create({ model: "nope/model", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    expect((err as APIError).status).toBe(404);
    expect((err as APIError).code).toBe("model_not_found");
  });

  it("surfaces an upstream failure inside a stream as an APIError", async () => {
    const params: ChatCompletionCreateParamsStreaming & Steering = {
      model: "openai/mock-model",
      messages: [{ role: "user", content: "x" }],
      stream: true,
      mock: { malformed: "drop" },
    };
    const stream = await client.chat.completions.create(params);
    const err = await (async () => {
      for await (const _ of stream) {
        // keep reading until the error event
      }
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
  });

  it("authenticates with an operator JWT", async () => {
    const completion = await sdk(await jwt({ sub: userId })).chat.completions.create({
      model: "openai/mock-model",
      messages: [{ role: "user", content: "Hello" }],
    });
    expect(completion.choices[0]?.message.content).toBe("Hello from mock");
  });

  it("surfaces expired, revoked and unknown tokens as 401 APIErrors with their codes", async () => {
    const call = (token: string) =>
      sdk(token)
        .chat.completions.create({ model: "openai/mock-model", messages: [{ role: "user", content: "x" }] })
        .then(
          () => "accepted",
          (e: unknown) => (e instanceof APIError ? `${e.status} ${e.code}` : String(e)),
        );
    expect(await call(await jwt({ sub: userId }, -5))).toBe("401 token_expired");
    expect(await call("egk_unknown")).toBe("401 invalid_token");
    const oldToken = await jwt({ sub: userId });
    const rotated = (await (await admin(`/admin/users/${userId}/pepper`)).json()) as { pepper: string };
    expect(await call(oldToken)).toBe("401 token_revoked");
    expect(await call(await jwt({ sub: userId, pepper: rotated.pepper }))).toBe("accepted");
  });

  it("lists models", async () => {
    await admin("/admin/models", { id: "openai/gpt-4o-mini", provider: "openai" });
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toContain("openai/gpt-4o-mini");
  });

  it("retrieves one model, whose id the SDK sends percent-encoded", async () => {
    mock.reset();
    const model = await client.models.retrieve("openai/mock-model");
    expect(model).toMatchObject({ id: "openai/mock-model", object: "model", owned_by: "openai" });
    const listed = (await client.models.list()).data.find((m) => m.id === "openai/mock-model");
    expect(model).toEqual(listed);
    const err = await client.models.retrieve("openai/no-such-model").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    expect((err as APIError).status).toBe(404);
    expect((err as APIError).code).toBe("model_not_found");
    // Answered from the catalog: no upstream call.
    expect(mock.requests).toHaveLength(0);
  });

  // A fallback chain through the SDK: the first candidate (upstream "mock-model") answers 503 and
  // the second ("backup-model") serves, named either as `models` (OpenRouter's convention, an extra
  // body field the SDK passes through) or as a fallback route. The answer names what the client
  // asked for (its `model`, or the route), and the headers what happened.
  const FALLBACK_ROUTE = "route/sdk-fallback";
  const failFirst = { by_model: { "mock-model": { status: 503 } } };
  /** Request-level fallbacks: a body field the gateway reads and the SDK types do not know. */
  interface Fallbacks {
    models?: string[];
  }
  const fallbackWays: [way: string, naming: { model: string } & Fallbacks, answeredAs: string][] = [
    ["a models array", { model: "openai/mock-model", models: ["openai/backup-model"] }, "openai/mock-model"],
    ["a fallback route", { model: FALLBACK_ROUTE }, FALLBACK_ROUTE],
  ];
  let fallbackReady: Promise<void> | undefined;
  const fallbackSetUp = () =>
    (fallbackReady ??= (async () => {
      expect((await admin("/admin/models", { id: "openai/backup-model", provider: "openai", input_price: 0.15, output_price: 0.6 })).status).toBe(200);
      const route = { name: "sdk-fallback", strategy: "fallback", targets: [{ model: "openai/mock-model" }, { model: "openai/backup-model" }] };
      expect((await admin("/admin/routes", route)).status).toBe(201);
    })());
  const expectFallbackHeaders = (response: Response) => {
    expect(response.headers.get("x-gateway-attempts")).toBe("2");
    expect(response.headers.get("x-gateway-provider")).toBe("openai");
    expect(response.headers.get("x-gateway-model")).toBe("backup-model");
    expect(mock.requests.map((r) => (r.body as { model?: unknown }).model)).toEqual(["mock-model", "backup-model"]);
  };

  it.each(fallbackWays)("answers a fallback chain through %s", async (_way, naming, answeredAs) => {
    await fallbackSetUp();
    mock.reset();
    const params: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming & Steering & Fallbacks = { ...naming, messages: [{ role: "user", content: "Hello" }], mock: failFirst };
    const { data, response } = await client.chat.completions.create(params).withResponse();
    expect(data.choices[0]?.message.content).toBe("Hello from mock");
    expect(data.choices[0]?.finish_reason).toBe("stop");
    expect(data.model).toBe(answeredAs);
    expectFallbackHeaders(response);
  });

  it.each(fallbackWays)("streams a fallback chain through %s to its normal end", async (_way, naming, answeredAs) => {
    await fallbackSetUp();
    mock.reset();
    const params: ChatCompletionCreateParamsStreaming & Steering & Fallbacks = { ...naming, messages: [{ role: "user", content: "Hello" }], stream: true, mock: failFirst };
    const { data: stream, response } = await client.chat.completions.create(params).withResponse();
    expectFallbackHeaders(response);
    let text = "";
    const finishes: (string | null)[] = [];
    for await (const chunk of stream) {
      expect(chunk.model).toBe(answeredAs);
      text += chunk.choices[0]?.delta.content ?? "";
      for (const choice of chunk.choices) finishes.push(choice.finish_reason);
    }
    // The loop ended without an error: the stream closed after its [DONE], with a finishing chunk last.
    expect(text).toBe("Hello from mock");
    expect(finishes.at(-1)).toBe("stop");
    expect(finishes.filter((f) => f !== null)).toEqual(["stop"]);
    expect(stream.controller.signal.aborted).toBe(false);
  });
});
