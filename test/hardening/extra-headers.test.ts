// `extra_headers` of a custom upstream on the Node gateway (undici transport): every header the
// gateway or its transport owns is refused when saved, by POST and by PATCH, whatever its case;
// and, as a property, whatever the rules ACCEPT at save time works: the chat call through the
// upstream answers 200 and the mock receives each header as saved. Seeded and bounded.
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ADMIN_TOKEN } from "../conformance/suite.ts";
import { startMockLlm, type MockLlm } from "../support/mock-llm/index.ts";
import { startNode, type NodeGateway } from "../support/runtimes/node.ts";

const ENCRYPTION_KEYS = "c1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const RESERVED = [
  "authorization", "cookie", "host", "connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade",
  "expect", "accept", "accept-encoding", "range", "http2-settings", "forwarded", "via", "max-forwards",
];
const RESERVED_PREFIXES = ["content-", "proxy-", "sec-", "if-"];
/** The HTTP token alphabet (RFC 9110 tchar): every character a header name may hold. */
const TCHAR = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const isReserved = (name: string) => {
  const lower = name.toLowerCase();
  return RESERVED.includes(lower) || RESERVED_PREFIXES.some((p) => lower.startsWith(p));
};

/** Mixed case, so the rule is shown to be case-insensitive. */
const spongeCase = (s: string) => [...s].map((c, i) => (i % 2 === 0 ? c.toUpperCase() : c)).join("");

describe("extra_headers of a custom upstream", () => {
  let mock: MockLlm;
  let gw: NodeGateway;
  let key = "";
  let upstreamId = "";

  const req = (method: string, path: string, body?: unknown, token = key) =>
    fetch(`${gw.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const create = (providerId: string, extraHeaders: Record<string, string>) =>
    req("POST", "/v1/upstreams", { provider_id: providerId, display_name: providerId, base_url: mock.baseUrl, api_key: "sk-extra-headers-000000", extra_headers: extraHeaders });
  const patch = (extraHeaders: Record<string, string>) => req("PATCH", `/v1/upstreams/${upstreamId}`, { extra_headers: extraHeaders });
  const chat = () => req("POST", "/v1/chat/completions", { model: "own/mock-model", messages: [{ role: "user", content: "Hi" }] });
  const savedNames = async () => {
    const res = await req("GET", `/v1/upstreams/${upstreamId}`);
    return Object.keys(((await res.json()) as { extra_headers: Record<string, string> }).extra_headers).sort();
  };

  beforeAll(async () => {
    mock = await startMockLlm();
    gw = await startNode({
      GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN,
      GATEWAY_ENCRYPTION_KEYS: ENCRYPTION_KEYS,
      GATEWAY_TRUSTED_UPSTREAM_HOSTS: "127.0.0.1",
    });
    expect((await req("POST", "/admin/users", { id: "hdr-user" }, ADMIN_TOKEN)).status).toBe(201);
    const created = await req("POST", "/admin/api-keys", { owner: { type: "user", id: "hdr-user" } }, ADMIN_TOKEN);
    key = ((await created.json()) as { key: string }).key;
    const res = await create("own", { "x-base": "kept" });
    expect(res.status).toBe(201);
    upstreamId = ((await res.json()) as { id: string }).id;
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await mock?.close();
  });

  beforeEach(() => mock.reset());

  async function expectRefused(res: Response, name: string) {
    const body = (await res.json()) as { error?: { code: string; message: string; param: string | null } };
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(body.error?.code).toBe("invalid_body");
    expect(body.error?.message).toContain(`"${name}"`);
  }

  const owned = [...RESERVED, ...RESERVED_PREFIXES.map((p) => `${p}x`), "Content-Encoding", "Content-Length", "EXPECT", "Proxy-Authorization", "Sec-Fetch-Mode", "If-None-Match", "Transfer-Encoding", "HOST"];
  it.each(owned.flatMap((name) => [name, spongeCase(name)]).filter((n, i, all) => all.indexOf(n) === i))("refuses %s on POST and PATCH, and saves nothing", async (name) => {
    await expectRefused(await create(`own-${RESERVED.indexOf(name.toLowerCase()) + 2}`, { "x-fine": "yes", [name]: "value" }), name);
    await expectRefused(await patch({ "x-fine": "yes", [name]: "value" }), name);
    // Neither a second upstream nor a change to the first.
    const list = (await (await req("GET", "/v1/upstreams")).json()) as { data: unknown[] };
    expect(list.data).toHaveLength(1);
    expect(await savedNames()).toEqual(["x-base"]);
  });

  it("still calls the upstream with the headers it kept", async () => {
    const res = await chat();
    expect(res.status).toBe(200);
    expect(mock.requests[0]?.headers["x-base"]).toBe("kept");
  });

  it("refuses more header bytes than the limit at save, and delivers what fits", async () => {
    const big = (n: number) => "v".repeat(n);
    const over = await patch({ "x-one": big(1500), "x-two": big(1500), "x-three": big(1500) });
    expect(over.status).toBe(400);
    expect(((await over.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: "invalid_body", message: expect.stringContaining("4096 bytes") });
    expect(await savedNames()).toEqual(["x-base"]);
    const fits = { "x-one": big(1900), "x-two": big(1900) };
    expect((await patch(fits)).status).toBe(200);
    const res = await chat();
    expect(res.status).toBe(200);
    expect(mock.requests[0]?.headers["x-two"]).toBe(fits["x-two"]);
    expect((await patch({ "x-base": "kept" })).status).toBe(200);
  });

  // A key that is saved but cannot travel in a header would fail every call with 502.
  it.each(["sk-key-with-newline\n", "sk-key\r\nx-injected: 1", " sk-leading-space", "sk-trailing-space ", "sk-tab\tinside", "sk-\u00e9-latin", "sk-\u0000-nul", ""])(
    "refuses an api_key no header can carry (%j) on POST and PATCH of an upstream and on a BYOK key",
    async (apiKey) => {
      const post = await req("POST", "/v1/upstreams", { provider_id: "keyed", display_name: "k", base_url: mock.baseUrl, api_key: apiKey });
      expect(post.status).toBe(400);
      expect(((await post.json()) as { error: { param: string } }).error.param).toBe("api_key");
      expect((await req("PATCH", `/v1/upstreams/${upstreamId}`, { api_key: apiKey })).status).toBe(400);
      const byok = await req("PUT", "/v1/byok-keys/openai", { api_key: apiKey });
      expect(byok.status).toBe(400);
      const list = (await (await req("GET", "/v1/byok-keys")).json()) as { data: unknown[] };
      expect(list.data).toEqual([]);
      expect((await chat()).status).toBe(200);
    },
  );

  // Names from the token alphabet, biased towards the reserved ones and their prefixes so both
  // sides of the rule are drawn; values of every byte the rules accept (tab, printable ASCII,
  // and U+0080..U+00FF, which travel as Latin-1 bytes).
  const tchars = fc.constantFrom(...TCHAR);
  const headerName = fc.oneof(
    { weight: 8, arbitrary: fc.string({ unit: tchars, minLength: 1, maxLength: 24 }) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...RESERVED_PREFIXES, "x-", "X-"), fc.string({ unit: tchars, maxLength: 12 })).map(([p, s]) => p + s) },
    { weight: 1, arbitrary: fc.constantFrom(...RESERVED).map(spongeCase) },
  );
  const valueChar = fc.oneof(
    { weight: 12, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
    { weight: 1, arbitrary: fc.constant(0x09) },
    { weight: 2, arbitrary: fc.integer({ min: 0x80, max: 0xff }) },
  ).map((c) => String.fromCharCode(c));
  const headerValue = fc.string({ unit: valueChar, maxLength: 64 });
  const headerSet = fc.dictionary(headerName, headerValue, { minKeys: 1, maxKeys: 3 });

  it("whatever is accepted at save time is delivered on the call (property)", async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(headerSet, async (headers) => {
        const names = Object.keys(headers);
        const lower = names.map((n) => n.toLowerCase());
        const refusable = names.some(isReserved) || new Set(lower).size !== lower.length;
        const res = await patch(headers);
        const answer = (await res.json()) as { error?: { code: string; message: string }; extra_headers?: Record<string, string> };
        // Saved exactly when no name is owned by the gateway or repeated (names are case-insensitive).
        expect(res.status, JSON.stringify(answer)).toBe(refusable ? 400 : 200);
        if (refusable) {
          expect(answer.error?.code).toBe("invalid_body");
          return;
        }
        accepted++;
        expect(Object.keys(answer.extra_headers ?? {}).sort()).toEqual([...lower].sort());
        mock.reset();
        const call = await chat();
        expect(call.status, await call.clone().text()).toBe(200);
        const got = mock.requests[0]?.headers ?? {};
        // HTTP drops whitespace around a field value; everything else arrives as saved.
        for (const [name, value] of Object.entries(headers)) expect(got[name.toLowerCase()], name).toBe(value.replace(/^[\t ]+|[\t ]+$/g, ""));
      }),
      { seed: 12345, numRuns: 40, interruptAfterTimeLimit: 10_000 },
    );
    // The draw is biased so that most runs exercise the accepted side.
    expect(accepted).toBeGreaterThan(20);
  });
});
