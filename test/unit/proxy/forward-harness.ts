// The attempt loop's test bench: targets, canned upstream answers per host, and a forwarder
// whose transport, admission and sleeps are recorded.
import { openAiChat } from "../../../src/dialects/openai-chat/index.ts";
import type { Caller } from "../../../src/domain/caller.ts";
import type { UpstreamTarget } from "../../../src/domain/target.ts";
import type { RequestContext } from "../../../src/http/context.ts";
import { standardDocument } from "../../../src/http/document.ts";
import type { Admission, AdmitRequest } from "../../../src/policy/index.ts";
import { UNLIMITED } from "../../../src/policy/rate-limit.ts";
import type { FetchLike } from "../../../src/proxy/fetch-like.ts";
import { forwarder, type ForwardDeps } from "../../../src/proxy/forward.ts";

export const caller: Caller = { kind: "user", userId: "u1", via: "api_key", apiKeyId: "key_1", org: null, limits: { rpm: null, tpm: null } };

export const target = (providerId: string, over: Partial<UpstreamTarget> = {}): UpstreamTarget => ({
  model: "route/test",
  resolvedModel: `${providerId}/m`,
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

export const completion = (model: string) =>
  JSON.stringify({ id: "c1", object: "chat.completion", created: 1, model, choices: [{ index: 0, message: { role: "assistant", content: "hi" } }], usage: { prompt_tokens: 3, completion_tokens: 1 } });

export const json = (status: number, body: string) => new Response(body, { status, headers: { "content-type": "application/json" } });
export const errorJson = (status: number, message: string, code = `e${status}`) => json(status, JSON.stringify({ error: { message, code } }));

export const sse = (events: string[], failAfter = Infinity) => {
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

export type Answers = Record<string, () => Response | Promise<Response>>;

const admitAll = async (): Promise<Admission> => ({ owner: { type: "user", id: "u1" }, rate: UNLIMITED });

export function setUp(answers: Answers, admit: (a: AdmitRequest) => Promise<Admission> = admitAll, over: Partial<ForwardDeps> = {}) {
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
    ...over,
  });
  const rc: RequestContext = { requestId: "req-1", startedAt: Date.now(), waitUntil: () => {}, onClientAbort: () => () => {}, caller, proxy: null, ended: null };
  const run = (targets: UpstreamTarget[], body: Record<string, unknown> = {}) =>
    forward({ dialect: openAiChat, request: openAiChat.parse(JSON.stringify({ model: "route/test", messages: [{ role: "user", content: "Hello" }], ...body })), http: new Request("http://gw/v1/chat/completions", { method: "POST" }), caller, targets, rc });
  return { run, rc, calls: t.calls, admitted, sleeps };
}
