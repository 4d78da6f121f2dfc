// The endpoint-neutral attempt loop: take the ordered candidates routing resolved, admit each on
// its own, call it through the transport, fail over while nothing has reached the client yet and
// the failure says "not here" (failover.ts), and relay the first answer that comes. What happened
// is left in rc.proxy; wrap() emits the request's one outcome from it, whatever the exit.
import type { Caller } from "../domain/caller.ts";
import { targetView, type Attempt, type AttemptFailure, type ProxyOutcome } from "../domain/outcome.ts";
import { ownersAccount, type UpstreamTarget } from "../domain/target.ts";
import type { RequestContext } from "../http/context.ts";
import type { DocumentFactory } from "../http/document.ts";
import { GatewayError } from "../http/errors.ts";
import type { Admission, AdmitRequest, RateOutcome } from "../policy/index.ts";
import type { SsrfPolicy } from "../ssrf/index.ts";
import type { Dialect, DialectRequest, RelayContext, StreamEnd } from "./dialect.ts";
import { failsOver, type FailedAnswer } from "./failover.ts";
import type { FetchLike } from "./fetch-like.ts";
import { sentSecrets } from "./redact.ts";
import { responseHeaders } from "./response-headers.ts";
import { transportFor, upstreamInit } from "./transport.ts";
import { UpstreamCall } from "./upstream-call.ts";

export interface ForwardDeps {
  fetch: FetchLike;
  ssrf: SsrfPolicy;
  document: DocumentFactory;
  admit(a: AdmitRequest): Promise<Admission>;
  now: () => number;
  firstByteTimeoutMs: number;
  totalTimeoutMs: number;
  /** Completion tokens a token reservation assumes when the request sets no maximum. */
  defaultCompletionTokens: number;
}

/** One request to forward: its dialect and parsed body, who asks, and the candidates in order. */
export interface Forwarding<R extends DialectRequest> {
  dialect: Dialect<R>;
  request: R;
  /** The HTTP request (the platform's client IP for anonymous limits). */
  http: Request;
  caller: Caller;
  targets: readonly UpstreamTarget[];
  rc: RequestContext;
}

/** One attempt's end: an answer for the client, or a failure that may let the next candidate try. */
type AttemptResult = { served: Response } | { failed: FailedAnswer; answer: () => Response };

export type Forward = <R extends DialectRequest>(f: Forwarding<R>) => Promise<Response>;

export function forwarder(deps: ForwardDeps): Forward {
  const takesStopHook = deps.fetch.takesStopHook === true;

  async function attempt<R extends DialectRequest>(f: Forwarding<R>, target: UpstreamTarget, admission: Admission, proxy: ProxyOutcome): Promise<AttemptResult> {
    const { dialect, request, rc } = f;
    const started = deps.now();
    const view = targetView(target);
    const operatorsKey = !ownersAccount(target);
    // From here on the request counts: however it ends, its outcome names this target.
    proxy.owner = admission.owner;
    proxy.reservations = admission.rate.reservations;
    proxy.target = view;
    const record = (status: number | null, failure: AttemptFailure | null, reason: string | null) =>
      proxy.attempts.push({ target: view, status, failure, reason, ms: deps.now() - started } satisfies Attempt);

    const call = new UpstreamCall(deps.firstByteTimeoutMs, deps.totalTimeoutMs, rc.onClientAbort);
    let upstream: Response;
    try {
      const init = upstreamInit(dialect.upstreamHeaders(target, request.stream), dialect.upstreamBody(request, target), call, takesStopHook);
      upstream = await transportFor(target, deps.fetch, deps.ssrf)(`${target.baseUrl}${dialect.upstreamPath}`, init);
    } catch (cause) {
      call.finish();
      const err = call.failure(cause);
      record(null, call.timedOut ? "timeout" : "connect", err.message);
      return { failed: { upstreamStatus: null, code: err.code, operatorsKey }, answer: thrower(err) };
    }

    // Headers arrived: the upstream has started answering. A stream waits for its first chunk.
    const headersAt = deps.now();
    if (!request.stream) call.firstByteArrived();
    proxy.firstByteAt = headersAt;
    const headers = responseHeaders(rc.requestId, target, upstream.headers, admission.rate, headersAt);
    const secrets = () => sentSecrets(target.apiKey, target.extraHeaders);
    if (!upstream.ok) {
      const text = await upstream.text().catch(() => "");
      call.finish();
      const { status, body } = dialect.upstreamError(upstream.status, text, { ownersAccount: !operatorsKey, model: request.model, secrets: secrets() });
      record(upstream.status, "status", body.error.message);
      headers["content-type"] = "application/json";
      return {
        failed: { upstreamStatus: upstream.status, code: body.error.code ?? "upstream_error", operatorsKey },
        answer: () => deps.document(JSON.stringify(body), { status, headers }),
      };
    }

    const ctx: RelayContext = { call, secrets };
    if (request.stream && upstream.body && upstream.headers.get("content-type")?.includes("text/event-stream") === true) {
      let ended: (end: StreamEnd) => void = () => {};
      const streamEnded = new Promise<StreamEnd>((resolve) => (ended = resolve));
      let body: ReadableStream<Uint8Array>;
      try {
        body = await dialect.relayStream(request, upstream.body, ctx, (end) => ended(end));
      } catch (err) {
        // Nothing has reached the client yet: a stream that broke before its first chunk may fail over.
        record(upstream.status, "broken", describe(err));
        return { failed: { upstreamStatus: null, code: codeOf(err), operatorsKey }, answer: thrower(err) };
      }
      proxy.firstByteAt = deps.now();
      // Accounted when the stream ends, however it ends (completed, cut off, client gone).
      rc.ended = streamEnded.then((end) => {
        proxy.usage = end.usage;
        proxy.generatedChars = end.generatedChars;
      });
      record(upstream.status, null, null);
      headers["content-type"] = "text/event-stream; charset=utf-8";
      headers["cache-control"] = "no-cache";
      return { served: new Response(body, { status: 200, headers }) };
    }

    let relayed;
    try {
      relayed = await dialect.relayDocument(request, upstream, ctx);
    } catch (err) {
      record(upstream.status, "broken", describe(err));
      return { failed: { upstreamStatus: null, code: codeOf(err), operatorsKey }, answer: thrower(err) };
    }
    proxy.usage = relayed.usage;
    proxy.generatedChars = relayed.generatedChars;
    record(upstream.status, null, null);
    headers["content-type"] = "application/json";
    return { served: deps.document(relayed.text, { status: 200, headers }) };
  }

  return async function forward<R extends DialectRequest>(f: Forwarding<R>): Promise<Response> {
    const { dialect, request, caller, rc } = f;
    const proxy: ProxyOutcome = {
      model: request.model,
      owner: null,
      apiKeyId: caller.kind === "anonymous" ? null : caller.apiKeyId,
      target: null,
      attempts: [],
      firstByteAt: null,
      usage: undefined,
      generatedChars: 0,
      promptTokens: () => dialect.promptTokens(request),
      reservations: [],
    };
    rc.proxy = proxy;
    const estimate = () => dialect.requestTokens(request, deps.defaultCompletionTokens);
    let counted: RateOutcome | undefined;
    for (let i = 0; i < f.targets.length; i++) {
      const target = f.targets[i]!;
      const last = i === f.targets.length - 1;
      let admission: Admission;
      try {
        admission = await deps.admit({ caller, target, estimate, request: f.http, waitUntil: rc.waitUntil, counted });
      } catch (err) {
        // A candidate this caller may not use is skipped with its reason; the last one answers.
        if (last || !(err instanceof GatewayError)) throw err;
        proxy.attempts.push({ target: targetView(target), status: err.status, failure: "refused", reason: err.message, ms: 0 });
        continue;
      }
      counted = admission.rate;
      const result = await attempt(f, target, admission, proxy);
      if ("served" in result) return result.served;
      if (last || !failsOver(result.failed)) return result.answer();
    }
    throw new GatewayError(404, "model_not_found", `No upstream can serve "${request.model}".`, "model");
  };
}

const thrower = (err: unknown) => (): never => {
  throw err;
};
const codeOf = (err: unknown): string => (err instanceof GatewayError ? err.code : "upstream_error");
const describe = (err: unknown): string => (err instanceof GatewayError ? err.message : "The upstream broke off the response.");
