// One set of HTTP-level cases, run unchanged against every runtime (DESIGN.md "How we know
// it works"). Each runtime file only says how to start the gateway.
import { SignJWT } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startMockLlm, type MockLlm } from "../support/mock-llm/index.ts";
import { checkAgainstDocument, responseRecorder, unexercised, type RecordedAnswer } from "./openapi-check.ts";
import { jsonEvents, readEvents } from "./sse.ts";

export type Launcher = (env: Record<string, string>) => Promise<{ url: string; close(): Promise<void> }>;

export const UPSTREAM_KEY = "sk-upstream-test";
const MAX_BODY = 64 * 1024;

export const ADMIN_TOKEN = "admin-token-for-conformance-0123456789";
export const JWT_SECRET = "jwt-secret-for-conformance-0123456789abcdef";
const ENCRYPTION_KEYS = "c1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

export function conformanceSuite(runtime: string, start: Launcher, opts: { skip?: boolean } = {}): void {
  describe.skipIf(opts.skip === true)(`conformance on ${runtime}`, () => {
    // Every request below (helpers included) goes through this fetch, so that the last case can
    // hold each answer to /openapi.json.
    const recorder = responseRecorder();
    const fetch = recorder.fetch;
    let mock: MockLlm;
    let gw: { url: string; close(): Promise<void> };
    let admin: (method: string, path: string, body?: unknown) => Promise<Response>;
    const userId = `user-${crypto.randomUUID()}`;
    let apiKey = "";

    beforeAll(async () => {
      mock = await startMockLlm();
      gw = await start({
        OPENAI_API_KEY: UPSTREAM_KEY,
        OPENAI_BASE_URL: mock.baseUrl,
        GATEWAY_PROVIDERS: JSON.stringify([
          { id: "acme", base_url: mock.baseUrl, api_key: "sk-acme", models: ["acme-large"] },
          // Nothing listens on port 1: every request to it fails to connect.
          { id: "dead", base_url: "http://127.0.0.1:1/v1", api_key: "sk-dead", models: [] },
        ]),
        GATEWAY_MAX_BODY_BYTES: String(MAX_BODY),
        GATEWAY_FIRST_BYTE_TIMEOUT_MS: "700",
        GATEWAY_TOTAL_TIMEOUT_MS: "2500",
        GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN,
        GATEWAY_JWT_SECRET: JWT_SECRET,
        GATEWAY_ENCRYPTION_KEYS: ENCRYPTION_KEYS,
        // The mock listens on 127.0.0.1, which custom upstreams may use only when trusted.
        GATEWAY_TRUSTED_UPSTREAM_HOSTS: "127.0.0.1",
        // Rate counters of Redis-backed runs are keyed under this secret: a fresh one per run keeps
        // earlier runs' anonymous requests (same client IP, same shared Redis) from counting.
        GATEWAY_RATE_LIMIT_SECRET: `conformance-${crypto.randomUUID()}`,
        // An operator route declared in configuration: listed, read-only through the API.
        GATEWAY_ROUTES: JSON.stringify([{ name: "conformance-config", strategy: "fallback", targets: [{ model: "openai/mock-model" }] }]),
      });
      admin = (method, path, body) =>
        fetch(`${gw.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      // Through the operator API, as a deployment would be set up.
      expect((await admin("POST", "/admin/users", { id: userId })).status).toBe(201);
      const key = await admin("POST", "/admin/api-keys", { owner: { type: "user", id: userId }, name: "conformance" });
      expect(key.status).toBe(201);
      apiKey = ((await key.json()) as { key: string }).key;
      // Paid models need credit on the acting owner.
      expect((await admin("POST", "/admin/credits", { owner: { type: "user", id: userId }, amount_microdollars: 1_000_000_000 })).status).toBe(200);
      for (const model of [
        { id: "openai/mock-model", provider: "openai", input_price: 0.15, output_price: 0.6 },
        { id: "openai/free-mock", provider: "openai", upstream_model: "mock-model", free: true },
        { id: "groq/llama-3", provider: "groq", free: true },
        // On the operator's keys only catalog models are served (the catalog rule).
        { id: "acme/acme-large", provider: "acme", input_price: 0.5, output_price: 1 },
        { id: "openai/org/some-model", provider: "openai", input_price: 0.15, output_price: 0.6 },
        { id: "openai/模型-large", provider: "openai", free: true },
        { id: "dead/x", provider: "dead", free: true },
      ]) {
        expect((await admin("POST", "/admin/models", model)).status).toBe(200);
      }
    }, 90_000);

    afterAll(async () => {
      await gw?.close();
      await mock?.close();
    });

    beforeEach(() => mock.reset());

    const chat = (body: unknown, init: RequestInit & { auth?: string | null } = {}) => {
      const { auth, ...rest } = init;
      const headers: Record<string, string> = { "content-type": "application/json" };
      const token = auth === undefined ? apiKey : auth;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      return fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers,
        body: typeof body === "string" ? body : JSON.stringify(body),
        ...rest,
      });
    };
    const hi = [{ role: "user", content: "Hello there" }];

    async function expectError(res: Response, status: number, code: string) {
      expect(res.status).toBe(status);
      expect(res.headers.get("content-type")).toContain("application/json");
      expect(res.headers.get("x-request-id")).toBeTruthy();
      const body = (await res.json()) as { error: Record<string, unknown> };
      expect(body.error).toMatchObject({ code, type: expect.any(String), message: expect.any(String) });
      expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
      return body.error;
    }

    describe("operations and catalog", () => {
      it("GET /healthz answers ok with a request id", async () => {
        const res = await fetch(`${gw.url}/healthz`);
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({ ok: true });
        expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
      });

      it("GET /readyz checks the database", async () => {
        const res = await fetch(`${gw.url}/readyz`);
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({ ok: true });
      });

      it("GET /v1/models lists the enabled providers only", async () => {
        const res = await fetch(`${gw.url}/v1/models`);
        expect(res.status).toBe(200);
        const body = (await res.json()) as { object: string; data: { id: string; object: string; owned_by: string }[] };
        expect(body.object).toBe("list");
        const ids = body.data.map((m) => m.id);
        expect(ids).toContain("openai/mock-model");
        expect(ids).toContain("openai/free-mock");
        expect(ids).toContain("acme/acme-large");
        // In the catalog, but its provider has no key here.
        expect(ids.some((id) => id.startsWith("groq/"))).toBe(false);
        const free = body.data.find((m) => m.id === "openai/free-mock") as Record<string, unknown> | undefined;
        expect(free).toMatchObject({ free: true, upstream_model: "mock-model" });
        const paid = body.data.find((m) => m.id === "openai/mock-model") as Record<string, unknown> | undefined;
        expect(paid).toMatchObject({ free: false, pricing: { input: 0.15, output: 0.6 } });
        expect(body.data.every((m) => m.object === "model" && m.id.startsWith(`${m.owned_by}/`))).toBe(true);
      });

      it("GET /v1/models/{id} answers the list's entry, the id's slash raw or percent-encoded", async () => {
        const list = (await (await fetch(`${gw.url}/v1/models`)).json()) as { data: { id: string }[] };
        for (const id of ["openai/free-mock", "openai/org/some-model", "openai/模型-large", "acme/acme-large"]) {
          const entry = list.data.find((m) => m.id === id);
          expect(entry).toBeDefined();
          // The openai SDK sends encodeURIComponent(id); curl users type the slash.
          for (const path of [encodeURIComponent(id), id, `${encodeURIComponent(id)}/`]) {
            const res = await fetch(`${gw.url}/v1/models/${path}`);
            expect(res.status).toBe(200);
            expect(res.headers.get("x-request-id")).toBeTruthy();
            expect(await res.json()).toEqual(entry);
          }
        }
      });

      it("GET /v1/models/{id} of a model not listed answers 404 model_not_found", async () => {
        for (const path of ["openai%2Fnope", "nope", "groq%2Fllama-3", "%E0%A4%A"]) {
          const error = await expectError(await fetch(`${gw.url}/v1/models/${path}`), 404, "model_not_found");
          expect(error.param).toBe("model");
        }
      });

      it("each response gets its own request id", async () => {
        const [a, b] = await Promise.all([fetch(`${gw.url}/healthz`), fetch(`${gw.url}/healthz`)]);
        expect(a.headers.get("x-request-id")).not.toBe(b.headers.get("x-request-id"));
      });
    });

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
            headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
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

    describe("upstream failures", () => {
      it("relays an upstream error with its status in the gateway's shape", async () => {
        const res = await chat({ model: "openai/mock-model", messages: hi, mock: { status: 400 } });
        const err = await expectError(res, 400, "mock_400");
        expect(err.message).toBe("mock upstream error");
      });

      it("relays upstream 5xx errors", async () => {
        const res = await chat({ model: "openai/mock-model", messages: hi, stream: true, mock: { status: 503 } });
        await expectError(res, 503, "mock_503");
      });

      it("wraps an upstream error without a usable body as 502", async () => {
        const res = await chat({ model: "openai/mock-model", messages: hi, mock: { status: 500, error_body: "<html>oops</html>" } });
        await expectError(res, 502, "upstream_error");
      });

      it("answers 502 for malformed upstream JSON", async () => {
        const res = await chat({ model: "openai/mock-model", messages: hi, mock: { malformed: "json" } });
        await expectError(res, 502, "upstream_error");
      });

      it("answers 504 upstream_timeout when the first byte is too slow", async () => {
        for (const stream of [false, true]) {
          const res = await chat({ model: "openai/mock-model", messages: hi, stream, mock: { first_byte_delay_ms: 2000 } });
          await expectError(res, 504, "upstream_timeout");
        }
      });

      it("answers 502 when the upstream cannot be reached", async () => {
        const res = await chat({ model: "dead/x", messages: hi });
        await expectError(res, 502, "upstream_error");
      });
    });

    describe("authentication and accounts", () => {
      const sign = (claims: Record<string, unknown>, expiresInS = 300) =>
        new SignJWT(claims)
          .setProtectedHeader({ alg: "HS256" })
          .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInS)
          .sign(new TextEncoder().encode(JWT_SECRET));

      it("lets anonymous callers use free catalog models only", async () => {
        const free = await chat({ model: "openai/free-mock", messages: hi }, { auth: null });
        expect(free.status).toBe(200);
        expect(((await free.json()) as { model: string }).model).toBe("openai/free-mock");
        expect(mock.requests[0]!.body).toMatchObject({ model: "mock-model" });
        const err = await expectError(await chat({ model: "openai/mock-model", messages: hi }, { auth: null }), 401, "missing_token");
        expect(err.message).toContain("free");
      });

      it("refuses unknown keys and malformed headers", async () => {
        await expectError(await chat({ model: "openai/mock-model", messages: hi }, { auth: "egk_not-a-real-key" }), 401, "invalid_token");
        await expectError(await chat({ model: "openai/mock-model", messages: hi }, { auth: "not-a-jwt" }), 401, "invalid_token");
        expect(mock.requests).toHaveLength(0);
      });

      it("accepts an operator JWT, refuses an expired one, and a rotated pepper revokes old tokens", async () => {
        const ok = await chat({ model: "openai/mock-model", messages: hi }, { auth: await sign({ sub: userId }) });
        expect(ok.status).toBe(200);
        await expectError(await chat({ model: "openai/mock-model", messages: hi }, { auth: await sign({ sub: userId }, -10) }), 401, "token_expired");
        const rotated = await admin("POST", `/admin/users/${userId}/pepper`);
        const { pepper } = (await rotated.json()) as { pepper: string };
        await expectError(await chat({ model: "openai/mock-model", messages: hi }, { auth: await sign({ sub: userId }) }), 401, "token_revoked");
        expect((await chat({ model: "openai/mock-model", messages: hi }, { auth: await sign({ sub: userId, pepper }) })).status).toBe(200);
      });

      it("acts for an organization only when the caller is a member", async () => {
        const orgId = `org-${crypto.randomUUID()}`;
        expect((await admin("POST", "/admin/orgs", { id: orgId, name: "Conformance Inc" })).status).toBe(201);
        expect((await admin("POST", "/admin/credits", { owner: { type: "org", id: orgId }, amount_microdollars: 1_000_000 })).status).toBe(200);
        const asOrg = { headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}`, "x-gateway-org": orgId } };
        const body = JSON.stringify({ model: "openai/mock-model", messages: hi });
        const url = `${gw.url}/v1/chat/completions`;
        await expectError(await fetch(url, { method: "POST", body, ...asOrg }), 403, "not_org_member");
        expect((await admin("PUT", `/admin/orgs/${orgId}/members/${userId}`, { role: "member" })).status).toBe(200);
        expect((await fetch(url, { method: "POST", body, ...asOrg })).status).toBe(200);
      });

      it("issues, lists and revokes self-service API keys; the plaintext is shown once", async () => {
        const auth = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" };
        const created = await fetch(`${gw.url}/v1/api-keys`, { method: "POST", headers: auth, body: JSON.stringify({ name: "ci" }) });
        expect(created.status).toBe(201);
        const { id, key, prefix } = (await created.json()) as { id: string; key: string; prefix: string };
        expect(key).toMatch(/^egk_/);
        expect(key.startsWith(prefix)).toBe(true);
        expect((await chat({ model: "openai/mock-model", messages: hi }, { auth: key })).status).toBe(200);
        const listed = (await (await fetch(`${gw.url}/v1/api-keys`, { headers: auth })).json()) as { data: Record<string, unknown>[] };
        expect(listed.data.find((k) => k.id === id)).toMatchObject({ prefix, name: "ci" });
        expect(JSON.stringify(listed)).not.toContain(key);
        expect((await fetch(`${gw.url}/v1/api-keys/${id}`, { method: "DELETE", headers: auth })).status).toBe(204);
        await expectError(await chat({ model: "openai/mock-model", messages: hi }, { auth: key }), 401, "token_revoked");
        await expectError(await fetch(`${gw.url}/v1/api-keys`, { headers: {} }), 401, "missing_token");
      });

      it("guards the operator API with the admin token", async () => {
        await expectError(await fetch(`${gw.url}/admin/users`, { method: "POST", body: "{}" }), 401, "missing_token");
        await expectError(await fetch(`${gw.url}/admin/users`, { method: "POST", body: "{}", headers: { authorization: "Bearer wrong" } }), 401, "invalid_token");
        const bad = await expectError(await admin("POST", "/admin/credits", { owner: { type: "user", id: userId }, amount_microdollars: "lots" }), 400, "invalid_body");
        expect(bad.param).toBe("amount_microdollars");
        const fresh = `user-${crypto.randomUUID()}`;
        expect((await admin("POST", "/admin/users", { id: fresh })).status).toBe(201);
        const credit = await admin("POST", "/admin/credits", { owner: { type: "user", id: fresh }, amount_microdollars: 5_000_000 });
        expect(await credit.json()).toMatchObject({ balance_microdollars: 5_000_000 });
        await expectError(await admin("DELETE", "/admin/users/nobody-here"), 404, "user_not_found");
      });
    });

    describe("custom upstreams and BYOK keys", () => {
      const OWN_KEY = "sk-own-upstream-conformance-0123";
      const BYOK_KEY = "sk-byok-openai-conformance-4567";
      const self = () => ({ authorization: `Bearer ${apiKey}`, "content-type": "application/json" });
      const lastChat = () => mock.requests.filter((r) => r.path.endsWith("/chat/completions")).at(-1);

      it("routes <provider_id>/<model> to the caller's own upstream with its sealed key and headers", async () => {
        const created = await fetch(`${gw.url}/v1/upstreams`, {
          method: "POST",
          headers: self(),
          body: JSON.stringify({ provider_id: "own", display_name: "Own", base_url: mock.baseUrl, api_key: OWN_KEY, extra_headers: { "x-own": "yes" }, models: [{ id: "mock-model" }] }),
        });
        expect(created.status).toBe(201);
        const view = (await created.json()) as { id: string };
        expect(JSON.stringify(view)).not.toContain(OWN_KEY);

        const res = await chat({ model: "own/mock-model", messages: hi });
        expect(res.status).toBe(200);
        expect(res.headers.get("x-gateway-provider")).toBe("own");
        expect(((await res.json()) as { model: string }).model).toBe("own/mock-model");
        expect(lastChat()?.headers).toMatchObject({ authorization: `Bearer ${OWN_KEY}`, "x-own": "yes" });
        expect(lastChat()?.body).toMatchObject({ model: "mock-model" });

        const models = (await (await fetch(`${gw.url}/v1/models`, { headers: self() })).json()) as { data: { id: string }[] };
        expect(models.data.map((m) => m.id)).toContain("own/mock-model");
        expect((await fetch(`${gw.url}/v1/upstreams/${view.id}`, { method: "DELETE", headers: self() })).status).toBe(204);
        await expectError(await chat({ model: "own/mock-model", messages: hi }), 404, "model_not_found");
      });

      it("uses the caller's saved key for a built-in provider, and the operator's once it is deleted", async () => {
        const saved = await fetch(`${gw.url}/v1/byok-keys/openai`, { method: "PUT", headers: self(), body: JSON.stringify({ api_key: BYOK_KEY }) });
        expect(saved.status).toBe(200);
        expect(JSON.stringify(await saved.json())).not.toContain(BYOK_KEY);
        expect((await chat({ model: "openai/mock-model", messages: hi })).status).toBe(200);
        expect(lastChat()?.headers.authorization).toBe(`Bearer ${BYOK_KEY}`);
        expect((await fetch(`${gw.url}/v1/byok-keys/openai`, { method: "DELETE", headers: self() })).status).toBe(204);
        expect((await chat({ model: "openai/mock-model", messages: hi })).status).toBe(200);
        expect(lastChat()?.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
      });

      it("refuses an upstream URL that points inside the network", async () => {
        const res = await fetch(`${gw.url}/v1/upstreams`, {
          method: "POST",
          headers: self(),
          body: JSON.stringify({ provider_id: "meta", display_name: "x", base_url: "https://[::ffff:169.254.169.254]/v1", api_key: "sk-meta-0000000000" }),
        });
        const err = await expectError(res, 400, "unsafe_upstream_url");
        expect(err.message).toContain("169.254.169.254");
      });
    });

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
          headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
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

    // Limits, credit and accounting (details and the concurrency cases: test/limits-e2e.test.ts).
    describe("rate limits, credit and usage", () => {
      it("counts anonymous requests per client and says so in x-ratelimit headers", async () => {
        const first = await chat({ model: "openai/free-mock", messages: hi }, { auth: null });
        const second = await chat({ model: "openai/free-mock", messages: hi }, { auth: null });
        expect([first.status, second.status]).toEqual([200, 200]);
        expect(first.headers.get("x-ratelimit-limit-requests")).toBe("200");
        expect(Number(second.headers.get("x-ratelimit-remaining-requests"))).toBeLessThan(Number(first.headers.get("x-ratelimit-remaining-requests")));
        expect(second.headers.get("x-ratelimit-reset-requests")).toMatch(/^(\d+h)?(\d+m)?\d+s$/);
      });

      it("402 insufficient_credits for a paid model without credit, before the upstream", async () => {
        const broke = `user-${crypto.randomUUID()}`;
        expect((await admin("POST", "/admin/users", { id: broke })).status).toBe(201);
        const { key } = (await (await admin("POST", "/admin/api-keys", { owner: { type: "user", id: broke } })).json()) as { key: string };
        const err = await expectError(await chat({ model: "openai/mock-model", messages: hi }, { auth: key }), 402, "insufficient_credits");
        expect(err.message).toContain("credit");
        expect(mock.requests).toHaveLength(0);
      });

      it("GET /v1/usage shows the caller's paid requests by model and by day", async () => {
        expect((await chat({ model: "openai/mock-model", messages: hi })).status).toBe(200);
        // Accounting runs after the response: wait for it to land.
        let body: { by_model: { model: string; requests: number; cost_microdollars: number }[]; by_day: { day: string }[] } | undefined;
        for (let i = 0; i < 100; i++) {
          const res = await fetch(`${gw.url}/v1/usage`, { headers: { authorization: `Bearer ${apiKey}` } });
          expect(res.status).toBe(200);
          body = (await res.json()) as typeof body;
          if (body?.by_model.some((m) => m.model === "openai/mock-model")) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        const paid = body?.by_model.find((m) => m.model === "openai/mock-model");
        expect(paid?.requests).toBeGreaterThanOrEqual(1);
        expect(paid?.cost_microdollars).toBeGreaterThan(0);
        expect(body?.by_day[0]?.day).toBe(new Date().toISOString().slice(0, 10));
      });

      it("org settings: admins write, members read, and the allow-list applies", async () => {
        const orgId = `org-${crypto.randomUUID()}`;
        expect((await admin("POST", "/admin/orgs", { id: orgId, name: "Policy Inc" })).status).toBe(201);
        expect((await admin("PUT", `/admin/orgs/${orgId}/members/${userId}`, { role: "admin" })).status).toBe(200);
        const headers = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" };
        const settings = { model_allowlist: ["openai/free-mock"] };
        const put = await fetch(`${gw.url}/v1/orgs/${orgId}/settings`, { method: "PUT", headers, body: JSON.stringify(settings) });
        expect(put.status).toBe(200);
        expect(await (await fetch(`${gw.url}/v1/orgs/${orgId}/settings`, { headers })).json()).toEqual(settings);
        const res = await fetch(`${gw.url}/v1/chat/completions`, {
          method: "POST",
          headers: { ...headers, "x-gateway-org": orgId },
          body: JSON.stringify({ model: "openai/mock-model", messages: hi }),
        });
        await expectError(res, 403, "model_not_allowed");
        await expectError(await fetch(`${gw.url}/v1/orgs/${orgId}-other/settings`, { headers }), 403, "not_org_member");
      });
    });

    // Named routes: storage and API (their use in chat requests is the resolver's, tested there).
    describe("named routes", () => {
      const self = () => ({ authorization: `Bearer ${apiKey}`, "content-type": "application/json" });
      const call = (method: string, path: string, body?: unknown) =>
        fetch(`${gw.url}${path}`, { method, headers: self(), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const to = (...models: string[]) => ({ strategy: "fallback", targets: models.map((model) => ({ model })) });

      it("self-service: saves, lists, reads, changes and removes a route; refuses a cycle", async () => {
        const name = `conf-${crypto.randomUUID().slice(0, 8)}`;
        const created = await call("POST", "/v1/routes", { name, ...to("openai/mock-model", "acme/acme-large"), retry: { attempts: 2 } });
        expect(created.status).toBe(201);
        expect(await created.json()).toMatchObject({ object: "route", name, model: `route/${name}`, owner: { type: "user", id: userId }, source: "api" });
        const listed = (await (await call("GET", "/v1/routes")).json()) as { data: { model: string; source: string }[] };
        expect(listed.data.map((r) => `${r.model} ${r.source}`)).toEqual(expect.arrayContaining([`route/${name} api`, "route/conformance-config config"]));
        expect((await call("GET", `/v1/routes/${name}`)).status).toBe(200);
        const weighted = { strategy: "weighted", targets: [{ model: "openai/mock-model", weight: 2 }, { model: "acme/acme-large", weight: 1 }], retry: null };
        const changed = await call("PATCH", `/v1/routes/${name}`, weighted);
        expect(changed.status).toBe(200);
        expect(await changed.json()).toMatchObject({ strategy: "weighted", targets: [{ weight: 2 }, { weight: 1 }] });
        await expectError(await call("PATCH", `/v1/routes/${name}`, { targets: [{ model: `route/${name}`, weight: 1 }] }), 400, "route_cycle");
        await expectError(await call("POST", "/v1/routes", { name, ...to("openai/mock-model") }), 409, "route_exists");
        await expectError(await call("POST", "/v1/routes", { name: "Not A Slug", ...to("openai/mock-model") }), 400, "invalid_body");
        await expectError(await call("PATCH", "/v1/routes/conformance-config", { sticky: "user" }), 403, "route_read_only");
        const models = (await (await call("GET", "/v1/models")).json()) as { data: { id: string; route?: unknown }[] };
        expect(models.data.find((m) => m.id === `route/${name}`)).toMatchObject({ route: { strategy: "weighted" } });
        expect((await call("DELETE", `/v1/routes/${name}`)).status).toBe(204);
        await expectError(await call("GET", `/v1/routes/${name}`), 404, "named_route_not_found");
        await expectError(await call("DELETE", `/v1/routes/${name}`), 404, "named_route_not_found");
      });

      it("operator: an alias named by a model id, its slash percent-encoded in the path; config routes read-only", async () => {
        const alias = `openai/alias-${crypto.randomUUID().slice(0, 8)}`;
        const path = `/admin/routes/${encodeURIComponent(alias)}`;
        const failover = { error_rate_threshold: 0.5, window_s: 60, min_requests: 5, cooldown_s: 30 };
        const created = await admin("POST", "/admin/routes", { name: alias, ...to(alias, "acme/acme-large"), failover });
        expect(created.status).toBe(201);
        expect(await created.json()).toMatchObject({ name: alias, model: alias, owner: null, source: "api" });
        expect(await (await admin("GET", path)).json()).toMatchObject({ name: alias, failover });
        const changed = await admin("PATCH", path, { sticky: "task" });
        expect(changed.status).toBe(200);
        expect(await changed.json()).toMatchObject({ sticky: "task" });
        const listed = (await (await admin("GET", "/admin/routes")).json()) as { data: { name: string; source: string }[] };
        expect(listed.data.map((r) => `${r.name} ${r.source}`)).toEqual(expect.arrayContaining([`${alias} api`, "conformance-config config"]));
        const health = (await (await admin("GET", "/admin/route-health")).json()) as { data: { name: string }[] };
        expect(health.data.map((r) => r.name)).toContain(alias);
        await expectError(await admin("POST", "/admin/routes", { name: alias, ...to("openai/mock-model") }), 409, "route_exists");
        await expectError(await admin("PATCH", "/admin/routes/conformance-config", { sticky: "task" }), 403, "route_read_only");
        expect((await admin("DELETE", path)).status).toBe(204);
        await expectError(await admin("GET", path), 404, "named_route_not_found");
      });
    });

    // The routes and errors the cases above do not reach, so that the last case sees every
    // documented operation answer.
    describe("every other route", () => {
      const self = () => ({ authorization: `Bearer ${apiKey}`, "content-type": "application/json" });
      const call = (method: string, path: string, body?: unknown) =>
        fetch(`${gw.url}${path}`, { method, headers: self(), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

      it("custom upstreams: list, read, change, test, discover and delete", async () => {
        const create = (providerId: string) =>
          call("POST", "/v1/upstreams", {
            provider_id: providerId,
            display_name: "Probe",
            base_url: mock.baseUrl,
            api_key: "sk-probe-conformance-0123",
            extra_headers: { "x-team": "probe" },
            models: [{ id: "mock-model", name: "Mock", context_length: 8192, input_price: 0.1, output_price: 0.2 }],
          });
        const first = await create(`probe-${crypto.randomUUID().slice(0, 8)}`);
        expect(first.status).toBe(201);
        const { id, provider_id } = (await first.json()) as { id: string; provider_id: string };
        const second = await create(`probe-${crypto.randomUUID().slice(0, 8)}`);
        expect(second.status).toBe(201);
        const other = ((await second.json()) as { id: string }).id;

        const listed = (await (await call("GET", "/v1/upstreams")).json()) as { data: { id: string }[] };
        expect(listed.data.map((u) => u.id)).toContain(id);
        expect((await call("GET", `/v1/upstreams/${id}`)).status).toBe(200);
        await expectError(await call("GET", "/v1/upstreams/ups_missing"), 404, "upstream_not_found");
        expect((await call("PATCH", `/v1/upstreams/${id}`, { display_name: "Probe 2", extra_headers: null })).status).toBe(200);
        await expectError(await call("PATCH", `/v1/upstreams/${other}`, { provider_id }), 409, "upstream_exists");
        await expectError(await call("PATCH", `/v1/upstreams/${id}`, { ownr: "typo" }), 400, "invalid_body");

        const probe = await call("POST", `/v1/upstreams/${id}/test`);
        expect(probe.status).toBe(200);
        expect(await probe.json()).toMatchObject({ ok: true, status: 200 });
        const found = await call("POST", `/v1/upstreams/${id}/discover`, { save: true });
        expect(found.status).toBe(200);
        expect(await found.json()).toMatchObject({ ok: true, saved: true });

        for (const upstream of [id, other]) expect((await call("DELETE", `/v1/upstreams/${upstream}`)).status).toBe(204);
        await expectError(await call("DELETE", `/v1/upstreams/${id}`), 404, "upstream_not_found");
      });

      it("BYOK keys: list, refuse an unknown provider, 404 for a key that is not set", async () => {
        expect((await call("PUT", "/v1/byok-keys/groq", { api_key: "sk-byok-groq-conformance-89" })).status).toBe(200);
        const listed = (await (await call("GET", "/v1/byok-keys")).json()) as { data: { provider: string }[] };
        expect(listed.data.map((k) => k.provider)).toContain("groq");
        expect((await call("DELETE", "/v1/byok-keys/groq")).status).toBe(204);
        await expectError(await call("DELETE", "/v1/byok-keys/groq"), 404, "byok_key_not_found");
        await expectError(await call("PUT", "/v1/byok-keys/not-a-provider", { api_key: "sk-x" }), 400, "invalid_body");
      });

      it("account routes refuse bad input", async () => {
        await expectError(await call("GET", "/v1/usage?days=0"), 400, "invalid_query");
        await expectError(await call("POST", "/v1/api-keys", { expires_at: "2001-01-01T00:00:00Z" }), 400, "invalid_body");
        await expectError(await call("DELETE", "/v1/api-keys/key_missing"), 404, "api_key_not_found");
        await expectError(await call("PUT", `/v1/orgs/org-${crypto.randomUUID()}/settings`, { model_allowlist: [] }), 403, "not_org_member");
      });

      it("answers a management body over the limit with 413, and relays an upstream's own 4xx", async () => {
        const big = await fetch(`${gw.url}/admin/users`, {
          method: "POST",
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify({ id: "x".repeat(MAX_BODY) }),
        });
        await expectError(big, 413, "body_too_large");
        const err = await expectError(await chat({ model: "openai/mock-model", messages: hi, mock: { status: 422 } }), 422, "mock_422");
        expect(err.message).toBe("mock upstream error");
      });

      it("operator API: conflicts, missing owners and the end of users, orgs and memberships", async () => {
        const user = `user-${crypto.randomUUID()}`;
        const org = `org-${crypto.randomUUID()}`;
        expect((await admin("POST", "/admin/users", { id: user, email: `${user}@example.com` })).status).toBe(201);
        await expectError(await admin("POST", "/admin/users", { id: user }), 409, "conflict");
        expect((await admin("POST", "/admin/orgs", { id: org, name: "Ending Inc", plan: "team" })).status).toBe(201);
        await expectError(await admin("POST", "/admin/orgs", { id: org, name: "Again" }), 409, "conflict");
        expect(await (await admin("PATCH", `/admin/orgs/${org}`, { plan: "enterprise" })).json()).toMatchObject({ id: org, name: "Ending Inc", plan: "enterprise" });
        await expectError(await admin("PATCH", `/admin/orgs/${org}`, { plan: "gold" }), 400, "invalid_body");
        expect((await admin("PUT", `/admin/orgs/${org}/members/${user}`, { role: "member" })).status).toBe(200);
        expect((await admin("DELETE", `/admin/orgs/${org}/members/${user}`)).status).toBe(204);
        await expectError(await admin("DELETE", `/admin/orgs/${org}/members/${user}`), 404, "not_found");
        await expectError(await admin("PUT", `/admin/orgs/${org}/members/nobody-here`, { role: "member" }), 404, "not_found");
        expect((await admin("DELETE", `/admin/orgs/${org}`)).status).toBe(204);
        await expectError(await admin("DELETE", `/admin/orgs/${org}`), 404, "org_not_found");
        expect((await admin("DELETE", `/admin/users/${user}`)).status).toBe(204);
        await expectError(await admin("POST", `/admin/users/${user}/pepper`), 404, "user_not_found");
        const nobody = { type: "user", id: user };
        await expectError(await admin("POST", "/admin/api-keys", { owner: nobody }), 404, "owner_not_found");
        await expectError(await admin("POST", "/admin/credits", { owner: nobody, amount_microdollars: 1 }), 404, "owner_not_found");
        await expectError(await admin("POST", "/admin/models", { id: "openai/half-priced", provider: "openai", input_price: 1 }), 400, "invalid_body");
      });
    });

    // Last, once the cases above have run: an undocumented status or a body off its schema fails here.
    describe("the OpenAPI document", () => {
      let document: unknown;
      let answers: RecordedAnswer[];

      beforeAll(async () => {
        const res = await fetch(`${gw.url}/openapi.json`);
        expect(res.status).toBe(200);
        document = await res.json();
        answers = await recorder.answers(new URL(gw.url).origin);
      });

      it("documents every answer the cases above received", () => {
        expect(answers.length).toBeGreaterThan(1);
        expect(checkAgainstDocument(document, answers)).toEqual([]);
      });

      it("has every operation it documents exercised by a case above", () => {
        expect(unexercised(document, answers)).toEqual([]);
      });
    });
  });
}
