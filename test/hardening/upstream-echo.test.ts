// An upstream-error echo test for every place an upstream's words reach the client: JSON errors,
// errors inside 200 answers, streamed error events, allow-listed response headers, and the
// /test and /discover reports of custom upstreams. The credentials the gateway sent on a call
// (the key, and every extra-header value of 6+ characters) never come back, as written or
// JSON-escaped; each case also checks that the mock really received (and quoted) them, so it
// would fail without redaction.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ADMIN_TOKEN } from "../conformance/suite.ts";
import { startMockLlm, type MockLlm, type RecordedRequest } from "../support/mock-llm/index.ts";
import { startNode, type NodeGateway } from "../support/runtimes/node.ts";

const ENCRYPTION_KEYS = "c1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const OPERATOR_KEY = "sk-operator-echo-4f1d9a7c2b8e";
// `"` and `\` are escaped in JSON: a leak of this key would show only in its escaped form.
const BYOK_KEY = 'sk-byok-"quoted"\\back-8e2c61';
// A key saved with whitespace around it is refused (it could not travel as saved); a header value
// may have it, and HTTP drops it on the wire, so the upstream quotes that value without it.
const ORG_KEY = "sk-org-upstream-71b3e0d5aa";
const ORG_HEADERS: Record<string, string> = {
  "x-tenant-secret": 'tnt-"esc\\aped"-5c9e0f',
  "x-org-token": "orgtok-0a9b8c7d6e",
  "x-padded-secret": "\t padded-secret-9d8c7b ",
  // Too short to be told apart from ordinary words: sent, not a credential for redaction.
  "x-region": "eu",
};
/** A value as it travels in a header: without the whitespace around it. */
const wire = (value: string) => value.replace(/^[\t ]+|[\t ]+$/g, "");
const ORG_SECRETS = [ORG_KEY, ORG_HEADERS["x-tenant-secret"]!, ORG_HEADERS["x-org-token"]!, ORG_HEADERS["x-padded-secret"]!].map(wire);
const ALL_SECRETS = [OPERATOR_KEY, BYOK_KEY, ...ORG_SECRETS];
const hi = [{ role: "user", content: "Hello there" }];

/** Each secret as written and as a JSON string would carry it. */
function forms(secret: string): string[] {
  const escaped = JSON.stringify(secret).slice(1, -1);
  return escaped === secret ? [secret] : [secret, escaped];
}

/** Secrets (in any form) found in a whole response: status line aside, every header value and the body. */
async function leaked(res: Response): Promise<{ text: string; leaks: string[] }> {
  const head = [...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n");
  const text = `${head}\n\n${await res.text()}`;
  return { text, leaks: ALL_SECRETS.flatMap(forms).filter((f) => text.includes(f)) };
}

interface Route {
  name: string;
  model: string;
  /** Request headers besides the body's content type. */
  headers: () => Record<string, string>;
  /** The credentials this route sends upstream. */
  secrets: readonly string[];
  /** Whether upstream error messages are relayed (the operator's 402 is replaced, BYOK/custom ones are not). */
  byok: boolean;
}

describe("credentials the gateway sent never come back in an upstream's words", () => {
  let mock: MockLlm;
  let gw: NodeGateway;
  const keys: Record<string, string> = {};
  const upstreamIds: Record<string, string> = {};

  const call = (path: string, init: { method?: string; key?: string; headers?: Record<string, string>; body?: unknown } = {}) =>
    fetch(`${gw.url}${path}`, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers: { authorization: `Bearer ${init.key ?? ADMIN_TOKEN}`, "content-type": "application/json", ...init.headers },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });

  beforeAll(async () => {
    mock = await startMockLlm();
    gw = await startNode({
      OPENAI_API_KEY: OPERATOR_KEY,
      OPENAI_BASE_URL: mock.baseUrl,
      GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN,
      GATEWAY_ENCRYPTION_KEYS: ENCRYPTION_KEYS,
      GATEWAY_TRUSTED_UPSTREAM_HOSTS: "127.0.0.1",
    });
    for (const user of ["op-user", "byok-user", "org-admin", "org-member"]) {
      expect((await call("/admin/users", { body: { id: user } })).status).toBe(201);
      const created = await call("/admin/api-keys", { body: { owner: { type: "user", id: user } } });
      expect(created.status).toBe(201);
      keys[user] = ((await created.json()) as { key: string }).key;
    }
    expect((await call("/admin/credits", { body: { owner: { type: "user", id: "op-user" }, amount_microdollars: 1_000_000_000 } })).status).toBe(200);
    expect((await call("/admin/models", { body: { id: "openai/mock-model", provider: "openai", input_price: 0.15, output_price: 0.6 } })).status).toBe(200);
    expect((await call("/v1/byok-keys/openai", { method: "PUT", key: keys["byok-user"], body: { api_key: BYOK_KEY } })).status).toBe(200);
    expect((await call("/admin/orgs", { body: { id: "echo-org", name: "Echo" } })).status).toBe(201);
    expect((await call("/admin/orgs/echo-org/members/org-admin", { method: "PUT", body: { role: "admin" } })).status).toBe(200);
    expect((await call("/admin/orgs/echo-org/members/org-member", { method: "PUT", body: { role: "member" } })).status).toBe(200);
    // Chat goes to the steerable /v1; the probes go to /echo/v1, whose model list quotes the credentials.
    for (const [providerId, baseUrl] of [["orgup", mock.baseUrl], ["orgecho", `${mock.url}/echo/v1`], ["orggone", `${mock.url}/nowhere`]] as const) {
      const res = await call("/v1/upstreams", {
        key: keys["org-admin"],
        body: { owner: { type: "org", id: "echo-org" }, provider_id: providerId, display_name: providerId, base_url: baseUrl, api_key: ORG_KEY, extra_headers: ORG_HEADERS },
      });
      expect(res.status, await res.clone().text()).toBe(201);
      upstreamIds[providerId] = ((await res.json()) as { id: string }).id;
    }
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await mock?.close();
  });

  beforeEach(() => mock.reset());

  const routes: Route[] = [
    { name: "the operator's key", model: "openai/mock-model", headers: () => ({ authorization: `Bearer ${keys["op-user"]}` }), secrets: [OPERATOR_KEY], byok: false },
    { name: "a BYOK key", model: "openai/mock-model", headers: () => ({ authorization: `Bearer ${keys["byok-user"]}` }), secrets: [BYOK_KEY], byok: true },
    {
      name: "an organization's custom upstream (used by a member)",
      model: "orgup/mock-model",
      headers: () => ({ authorization: `Bearer ${keys["org-member"]}`, "x-gateway-org": "echo-org" }),
      secrets: ORG_SECRETS,
      byok: true,
    },
  ];

  /** The upstream call of this route really carried its credentials. */
  function expectSent(route: Route, req: RecordedRequest | undefined) {
    expect(req).toBeDefined();
    const headers = req?.headers ?? {};
    const key = route.secrets[0]!;
    expect(headers.authorization).toBe(`Bearer ${key}`);
    if (route.secrets === ORG_SECRETS) for (const [name, value] of Object.entries(ORG_HEADERS)) expect(headers[name]).toBe(wire(value));
  }

  const chat = (route: Route, body: Record<string, unknown>) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...route.headers() },
      body: JSON.stringify({ model: route.model, messages: hi, ...body }),
    });

  for (const route of routes) {
    describe(`through ${route.name}`, () => {
      // The mock quotes the Authorization and every x-* header it received, as careless providers do.
      it.each([
        ["a 401 JSON error", { echo: "error", status: 401 }, false],
        ["a 400 JSON error", { echo: "error", status: 400 }, false],
        ["a 402 JSON error", { echo: "error", status: 402 }, false],
        ["a 500 JSON error", { echo: "error", status: 500 }, false],
        ["a JSON error to a stream request", { echo: "error", status: 429 }, true],
      ] as const)("%s", async (_label, steer, stream) => {
        const res = await chat(route, { stream, mock: steer });
        const status = res.status;
        const { text, leaks } = await leaked(res);
        expect(leaks, text).toEqual([]);
        expectSent(route, mock.requests.at(-1));
        expect(status).toBeGreaterThanOrEqual(400);
        // The upstream's message itself is relayed, scrubbed (except the operator's 402, replaced outright).
        if (steer.status === 402 && !route.byok) expect(status).toBe(503);
        else expect(text).toContain("[redacted]");
      });

      it("a 200 whose body is an error, to a plain and to a stream request", async () => {
        for (const stream of [false, true]) {
          const res = await chat(route, { stream, mock: { echo: "ok_error" } });
          const { text, leaks } = await leaked(res);
          expect(leaks, text).toEqual([]);
          expectSent(route, mock.requests.at(-1));
          expect(text).toContain("[redacted]");
        }
      });

      it("a stream with an error event after a good chunk", async () => {
        const res = await chat(route, { stream: true, mock: { echo: "stream_error" } });
        expect(res.status).toBe(200);
        const { text, leaks } = await leaked(res);
        expect(leaks, text).toEqual([]);
        expectSent(route, mock.requests.at(-1));
        // The good chunk went through, then the error event, scrubbed, then the end.
        const events = text.split("\n\n").filter((e) => e.startsWith("data: ")).map((e) => e.slice(6));
        expect(events.length).toBe(3);
        expect(JSON.parse(events[0]!)).toMatchObject({ object: "chat.completion.chunk", model: route.model });
        expect(JSON.parse(events[1]!)).toMatchObject({ error: { message: expect.stringContaining("[redacted]") } });
        expect(events[2]).toBe("[DONE]");
      });

      // Other ways providers word an error, each quoting the credentials (in the message, the
      // code, the param, a nested field, a key name), at an error status, in a 200, or streamed.
      it("every other error shape", async () => {
        const s = route.secrets.join(" | ");
        const sse = (events: unknown[]) => `${events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join("")}data: [DONE]\n\n`;
        const shapes: [number, string, boolean, Record<string, string>][] = [
          [400, JSON.stringify({ error: { message: `bad key ${s}`, code: s, param: s, type: s } }), false, {}],
          [401, JSON.stringify({ error: `Incorrect key ${s}` }), false, {}],
          [403, JSON.stringify({ message: `Incorrect key ${s}` }), false, {}],
          [422, JSON.stringify({ detail: [{ msg: `bad key ${s}` }], error: { message: `context length: ${s}` } }), false, {}],
          [401, `<html><body>Bad key ${s}</body></html>`, false, {}],
          [200, JSON.stringify({ error: { message: "nested", metadata: { raw: `key ${s}`, [s]: [s] } } }), false, {}],
          [200, JSON.stringify({ error: `Incorrect key ${s}` }), true, {}],
          [200, sse([{ error: { message: `bad key ${s}`, code: s } }]), true, { "content-type": "text/event-stream" }],
          [200, sse([{ error: `bad key ${s}` }]), true, { "content-type": "text/event-stream" }],
        ];
        for (const [status, errorBody, stream, headers] of shapes) {
          const res = await chat(route, { stream, mock: { status, error_body: errorBody, headers } });
          const { text, leaks } = await leaked(res);
          expect(leaks, `${status} ${errorBody}\n---\n${text}`).toEqual([]);
          expectSent(route, mock.requests.at(-1));
        }
      });

      // Upstream response headers reach the client only through an allow-list (x-request-id as
      // x-upstream-request-id, openai-processing-ms, openai-version): their values are the
      // upstream's words too.
      it("allow-listed upstream response headers", async () => {
        const value = route.secrets.find((x) => /^[\x20-\x7e]+$/.test(x)) ?? route.secrets[0]!;
        for (const steer of [{}, { status: 401 }]) {
          const res = await chat(route, { mock: { ...steer, headers: { "x-request-id": `req ${value}`, "openai-version": value, "openai-processing-ms": value } } });
          const { text, leaks } = await leaked(res);
          expectSent(route, mock.requests.at(-1));
          expect(leaks, text).toEqual([]);
        }
      });
    });
  }

  describe("reports of an organization's custom upstream", () => {
    const member = () => ({ authorization: `Bearer ${keys["org-member"]}`, "x-gateway-org": "echo-org" });
    /** The probe reached the mock's model list with every credential. */
    function expectProbed(path: string) {
      const req = mock.requests.find((r) => r.path === path);
      expect(req?.headers.authorization).toBe(`Bearer ${wire(ORG_KEY)}`);
      for (const [name, value] of Object.entries(ORG_HEADERS)) expect(req?.headers[name]).toBe(wire(value));
    }

    it("POST /v1/upstreams/{id}/test, answered, failed and unreachable", async () => {
      for (const [id, path] of [["orgecho", "/echo/v1/models"], ["orggone", "/nowhere/models"]] as const) {
        const res = await fetch(`${gw.url}/v1/upstreams/${upstreamIds[id]}/test`, { method: "POST", headers: member() });
        expect(res.status).toBe(200);
        const { text, leaks } = await leaked(res);
        expect(leaks, text).toEqual([]);
        expectProbed(path);
      }
    });

    it("POST /v1/upstreams/{id}/discover, read by a member and saved by an admin, then every view of the upstream", async () => {
      const id = upstreamIds.orgecho!;
      const read = await fetch(`${gw.url}/v1/upstreams/${id}/discover`, { method: "POST", headers: member() });
      expect(read.status).toBe(200);
      const report = await leaked(read);
      expect(report.leaks, report.text).toEqual([]);
      expectProbed("/echo/v1/models");
      // The honest entry of the list survives.
      expect(report.text).toContain('"id":"mock-model"');

      mock.reset();
      const saved = await call(`/v1/upstreams/${id}/discover`, { key: keys["org-admin"], body: { save: true } });
      expect(saved.status).toBe(200);
      const savedReport = await leaked(saved);
      expect(savedReport.leaks, savedReport.text).toEqual([]);
      expect(savedReport.text).toContain('"saved":true');
      expectProbed("/echo/v1/models");

      for (const path of [`/v1/upstreams/${id}`, "/v1/upstreams"]) {
        const view = await fetch(`${gw.url}${path}`, { headers: member() });
        expect(view.status).toBe(200);
        const { text, leaks } = await leaked(view);
        expect(leaks, text).toEqual([]);
        expect(text).toContain("mock-model");
      }
    });
  });
});
