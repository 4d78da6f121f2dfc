// Property-based fuzzing of chat requests against the Node gateway and the mock upstream: for any
// body and any model id, never a 5xx; a 4xx never reaches the upstream; an answered request
// leaves exactly one ledger row, and a paid one debits exactly its cost. Seeded and time-bounded.
import { eq } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseChatBody } from "../../src/dialects/openai-chat/body.ts";
import { GatewayError } from "../../src/http/errors.ts";
import { estimatePromptTokens, estimateRequestTokens } from "../../src/dialects/openai-chat/estimate.ts";
import { usageLedger, users } from "../../src/store/schema/index.ts";
import { ADMIN_TOKEN } from "../conformance/suite.ts";
import { startMockLlm, type MockLlm } from "../support/mock-llm/index.ts";
import { startNode, type NodeGateway } from "../support/runtimes/node.ts";

const SEED = 20261128;
const PAID = "openai/mock-model";
const FREE = "openai/free-mock";
const USER = "fuzz-user";
/** Brings its own OpenAI key: any `openai/<id>` is served to it, so odd ids reach accounting. */
const BYOK_USER = "fuzz-byok-user";

/** Nested arrays `depth` deep around `inner`, built without recursion. */
function nested(depth: number, inner: unknown): unknown {
  let v = inner;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

/** Text with one character no header, log line or Postgres text column takes, somewhere inside. */
const hostileId = fc
  .tuple(fc.string({ maxLength: 10 }), fc.constantFrom("\u0000", "\ud800", "\udfff", "\u2028", "\u007f", "\t", "\r\n", "\u0085"), fc.string({ maxLength: 10 }))
  .map(([a, bad, b]) => `openai/${a}${bad}${b}`);

// Model ids: the real ones, near misses, and every kind of text a header or a ledger row cannot carry.
const modelId = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(PAID, FREE) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }).map((s) => `openai/${s}`) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom("", " ", "/", "openai/", "auto", "route/x") },
  { weight: 3, arbitrary: hostileId },
  { weight: 1, arbitrary: fc.integer({ min: 300, max: 100_000 }).map((n) => `openai/${"m".repeat(n)}`) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

const content = fc.oneof(
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.jsonValue({ maxDepth: 4 }),
  fc.integer({ min: 1, max: 20_000 }).map((depth) => nested(depth, "deep")),
);

const messages = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.record({ role: fc.constantFrom("user", "system", "assistant"), content }), { minLength: 1, maxLength: 3 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

// Fields the gateway reads (with wrong types too) and fields it only forwards.
const extra = fc.dictionary(
  fc.oneof(fc.constantFrom("stream_options", "max_tokens", "max_completion_tokens", "n", "temperature", "tools", "models", "user"), fc.string({ maxLength: 12 })),
  fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.integer({ min: 1, max: 10_000 }).map((d) => nested(d, 0))),
  { maxKeys: 4 },
);

/** A body as text: sometimes mangled in the ways clients and attackers mangle it. */
const wildBody = fc
  .tuple(modelId, messages, fc.oneof(fc.boolean(), fc.jsonValue({ maxDepth: 1 })), extra, fc.nat(5))
  .map(([model, msgs, stream, rest, mangle]) => {
    const fields = Object.fromEntries(Object.entries(rest).filter(([k]) => !["mock", "model", "messages", "stream"].includes(k)));
    let text: string;
    try {
      text = JSON.stringify({ ...fields, model, messages: msgs, stream });
    } catch {
      // Too deep for JSON.stringify itself: send the deep part as raw text instead.
      text = `{"model":${JSON.stringify(typeof model === "string" ? model : PAID)},"messages":[{"role":"user","content":${"[".repeat(20_000)}${"]".repeat(20_000)}}]}`;
    }
    if (mangle === 1) return text.slice(0, Math.max(1, Math.floor(text.length / 2)));
    if (mangle === 2) return `{"mod\\u0065l":${JSON.stringify(FREE)},${text.slice(1)}`;
    if (mangle === 3) return JSON.stringify([text]);
    return text;
  });

/** A body a careful client could send: the real models, odd but valid content and options. */
const plausibleBody = fc
  .tuple(
    fc.oneof({ weight: 3, arbitrary: fc.constantFrom(PAID, FREE) }, { weight: 2, arbitrary: modelId.filter((m): m is string => typeof m === "string" && m.length < 400) }),
    fc.array(fc.record({ role: fc.constantFrom("user", "system"), content: fc.oneof(fc.string({ unit: "grapheme", maxLength: 200 }), fc.jsonValue({ maxDepth: 3 })) }), { minLength: 1, maxLength: 3 }),
    fc.boolean(),
    fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 3 }),
  )
  .map(([model, msgs, stream, rest]) => {
    const fields = Object.fromEntries(Object.entries(rest).filter(([k]) => !["mock", "model", "messages", "stream", "stream_options"].includes(k)));
    return JSON.stringify({ ...fields, model, messages: msgs, stream });
  });

const bodyText = fc.oneof({ weight: 1, arbitrary: plausibleBody }, { weight: 1, arbitrary: wildBody });

const hiMessages = [{ role: "user", content: "hi" }];
/** The defects found by hand, always run first (as BYOK and as a paying caller). */
const FOUND_BY_HAND: [string, boolean][] = [
  JSON.stringify({ model: "openai/nul\u0000model", messages: hiMessages }),
  JSON.stringify({ model: "openai/\ud800", messages: hiMessages }),
  JSON.stringify({ model: `openai/${"m".repeat(100_000)}`, messages: hiMessages }),
  `{"model":${JSON.stringify(PAID)},"messages":[{"role":"user","content":${"[".repeat(20_000)}"x"${"]".repeat(20_000)}}]}`,
  `{"model":${JSON.stringify(PAID)},"stream":true,"messages":${JSON.stringify(hiMessages)},"extra":${"{\"a\":".repeat(5_000)}1${"}".repeat(5_000)}}`,
  `{"mod\\u0065l":${JSON.stringify(FREE)},"model":${JSON.stringify(PAID)},"messages":${JSON.stringify(hiMessages)}}`,
].flatMap((text): [string, boolean][] => [
  [text, true],
  [text, false],
]);

describe("fuzzed chat requests against the Node gateway", () => {
  let mock: MockLlm;
  let gw: NodeGateway;
  let key = "";
  let byokKey = "";

  beforeAll(async () => {
    mock = await startMockLlm();
    gw = await startNode({
      OPENAI_API_KEY: "sk-fuzz-operator-0000",
      OPENAI_BASE_URL: mock.baseUrl,
      GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN,
      GATEWAY_DEFAULT_TPM: "100000000",
      GATEWAY_ENCRYPTION_KEYS: "c1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    });
    const admin = (path: string, body: unknown) =>
      fetch(`${gw.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    expect((await admin("/admin/users", { id: USER })).status).toBe(201);
    expect((await admin("/admin/credits", { owner: { type: "user", id: USER }, amount_microdollars: 1_000_000_000_000 })).status).toBe(200);
    expect((await admin("/admin/models", { id: PAID, provider: "openai", input_price: 0.15, output_price: 0.6 })).status).toBe(200);
    expect((await admin("/admin/models", { id: FREE, provider: "openai", upstream_model: "mock-model", free: true })).status).toBe(200);
    key = ((await (await admin("/admin/api-keys", { owner: { type: "user", id: USER } })).json()) as { key: string }).key;
    expect((await admin("/admin/users", { id: BYOK_USER })).status).toBe(201);
    byokKey = ((await (await admin("/admin/api-keys", { owner: { type: "user", id: BYOK_USER } })).json()) as { key: string }).key;
    const saved = await fetch(`${gw.url}/v1/byok-keys/openai`, { method: "PUT", headers: { authorization: `Bearer ${byokKey}` }, body: JSON.stringify({ api_key: "sk-fuzz-byok-0000" }) });
    expect(saved.status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await mock?.close();
  });

  const balance = async (user: string) => (await gw.db.select({ credit: users.creditMicrodollars }).from(users).where(eq(users.id, user)))[0]?.credit ?? NaN;

  it("never answers 5xx, refuses before the upstream, and accounts every answer exactly once", async () => {
    let answered = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(bodyText, fc.boolean(), async (text, byok) => {
        const user = byok ? BYOK_USER : USER;
        const before = mock.requests.length;
        const credit = await balance(user);
        const res = await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${byok ? byokKey : key}`, "content-type": "application/json" }, body: text });
        const answer = await res.text();
        expect(res.status, answer).toBeLessThan(500);
        if (res.status >= 400) {
          refused++;
          expect(mock.requests.length).toBe(before);
          expect(JSON.parse(answer)).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
          return;
        }
        answered++;
        expect(mock.requests.length).toBe(before + 1);
        await gw.drain();
        const rows = await gw.db.select().from(usageLedger).where(eq(usageLedger.requestId, res.headers.get("x-request-id") ?? ""));
        expect(rows).toHaveLength(1);
        const row = rows[0]!;
        expect(credit - (await balance(user))).toBe(row.costMicrodollars);
        if (row.model === PAID && !byok) expect(row.costMicrodollars).toBeGreaterThan(0);
        else expect(row.costMicrodollars).toBe(0);
      }),
      { seed: SEED, numRuns: 250, interruptAfterTimeLimit: 40_000, examples: FOUND_BY_HAND },
    );
    // The generators reach both sides of every property, and the time bound left most runs in.
    expect(answered).toBeGreaterThan(30);
    expect(refused).toBeGreaterThan(30);
    expect(answered + refused).toBeGreaterThan(200);
  }, 90_000);
});

describe("what the gateway does with any text before it calls anyone", () => {
  it("parsing a chat body either succeeds or refuses with a 4xx GatewayError", () => {
    fc.assert(
      fc.property(fc.oneof(bodyText, fc.string({ unit: "binary" })), (text) => {
        try {
          parseChatBody(text);
        } catch (err) {
          expect(err).toBeInstanceOf(GatewayError);
          const status = err instanceof GatewayError ? err.status : 0;
          expect(status >= 400 && status < 500).toBe(true);
        }
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it("token estimates never throw and stay positive, whatever the messages", () => {
    fc.assert(
      fc.property(messages, extra, (msgs, rest) => {
        const prompt = estimatePromptTokens(msgs);
        expect(Number.isSafeInteger(prompt) && prompt >= 1).toBe(true);
        const total = estimateRequestTokens({ ...rest, messages: msgs }, 1024);
        expect(Number.isSafeInteger(total) && total >= prompt).toBe(true);
      }),
      { seed: SEED, numRuns: 1000 },
    );
    // The cases found by hand: content nested far deeper than any stack.
    expect(estimatePromptTokens([{ role: "user", content: nested(200_000, "x") }])).toBeGreaterThan(1);
  });
});
