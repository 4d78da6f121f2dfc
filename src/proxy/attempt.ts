// One call of one target: send the dialect's request, then relay the answer, or describe how it
// failed so the loop (forward.ts) can decide whether another try or candidate may answer instead.
import { targetView, type AttemptFailure, type ProxyOutcome } from "../domain/outcome.ts";
import { ownersAccount, type UpstreamTarget } from "../domain/target.ts";
import type { RequestContext } from "../http/context.ts";
import type { DocumentFactory } from "../http/document.ts";
import { GatewayError, type ErrorBody } from "../http/errors.ts";
import type { Admission } from "../policy/index.ts";
import type { SsrfPolicy } from "../ssrf/index.ts";
import type { Dialect, DialectRequest, RelayContext, RelayedDocument, StreamEnd } from "./dialect.ts";
import type { FailedAnswer } from "./failover.ts";
import type { FetchLike } from "./fetch-like.ts";
import { sentSecrets } from "./redact.ts";
import { responseHeaders } from "./response-headers.ts";
import { transportFor, upstreamInit } from "./transport.ts";
import { UpstreamCall } from "./upstream-call.ts";

export interface AttemptDeps {
  fetch: FetchLike;
  ssrf: SsrfPolicy;
  document: DocumentFactory;
  now: () => number;
  firstByteTimeoutMs: number;
  idleTimeoutMs: number;
}

/** What one attempt is: the request, the target, its admission, and where the request stands. */
export interface AttemptOf<R extends DialectRequest> {
  dialect: Dialect<R>;
  request: R;
  rc: RequestContext;
  target: UpstreamTarget;
  admission: Admission;
  proxy: ProxyOutcome;
  /** What is left of the request's deadline. */
  remainingMs: number;
  /** Upstream calls of this request so far, this one included (x-gateway-attempts). */
  calls: number;
}

/** How a failed attempt would answer the client: an upstream's error relayed, or the gateway's own. */
export type Failure = { status: number; body: ErrorBody; headers: Record<string, string> } | GatewayError;

export type AttemptResult = { served: Response } | { failed: FailedAnswer; failure: Failure };

export async function attempt<R extends DialectRequest>(deps: AttemptDeps, a: AttemptOf<R>): Promise<AttemptResult> {
  const { dialect, request, rc, target, admission, proxy } = a;
  const started = deps.now();
  const view = targetView(target);
  const operatorsKey = !ownersAccount(target);
  // From here on the request counts: however it ends, its outcome names this target.
  proxy.model = target.model;
  proxy.owner = admission.owner;
  proxy.reservations = admission.rate.reservations;
  proxy.target = view;
  const record = (status: number | null, failure: AttemptFailure | null, reason: string | null) =>
    proxy.attempts.push({ model: target.model, target: view, status, failure, reason, ms: deps.now() - started });
  const failedBefore = (err: unknown, status: number | null, kind: AttemptFailure, retryAfter: string | null = null): AttemptResult => {
    const gatewayError = err instanceof GatewayError ? err : new GatewayError(502, "upstream_error", "The upstream broke off the response.");
    record(status, kind, gatewayError.message);
    return { failed: { upstreamStatus: null, code: gatewayError.code, operatorsKey, retryAfter }, failure: gatewayError };
  };

  const call = new UpstreamCall({ firstByteMs: deps.firstByteTimeoutMs, idleMs: deps.idleTimeoutMs, totalMs: a.remainingMs }, rc.onClientAbort);
  let upstream: Response;
  try {
    const init = upstreamInit(dialect.upstreamHeaders(target, request.stream), dialect.upstreamBody(request, target), call, deps.fetch.takesStopHook === true);
    upstream = await transportFor(target, deps.fetch, deps.ssrf)(`${target.baseUrl}${dialect.upstreamPath}`, init);
  } catch (cause) {
    call.finish();
    return failedBefore(call.failure(cause), null, call.timedOut ? "timeout" : "connect");
  }

  // Headers arrived: the upstream has started answering. A stream waits for its first chunk.
  const headersAt = deps.now();
  if (!request.stream) call.firstByteArrived();
  proxy.firstByteAt = headersAt;
  const headers = responseHeaders(rc.requestId, target, upstream.headers, admission.rate, headersAt, a.calls);
  const secrets = () => sentSecrets(target.apiKey, target.extraHeaders);
  if (!upstream.ok) {
    const text = await upstream.text().catch(() => "");
    call.finish();
    const { status, body } = dialect.upstreamError(upstream.status, text, { ownersAccount: !operatorsKey, model: target.model, secrets: secrets() });
    record(upstream.status, "status", body.error.message);
    headers["content-type"] = "application/json";
    return {
      failed: { upstreamStatus: upstream.status, code: body.error.code ?? "upstream_error", operatorsKey, retryAfter: upstream.headers.get("retry-after") },
      failure: { status, body, headers },
    };
  }

  const ctx: RelayContext = { call, clientModel: target.model, secrets };
  // A stream request may still get one JSON document (an error in a 200, say): that is relayed as a document.
  if (request.stream && upstream.headers.get("content-type")?.includes("text/event-stream") === true && upstream.body) {
    let ended: (end: StreamEnd) => void = () => {};
    const streamEnded = new Promise<StreamEnd>((resolve) => (ended = resolve));
    let body: ReadableStream<Uint8Array>;
    try {
      body = await dialect.relayStream(request, upstream.body, ctx, (end) => ended(end));
    } catch (err) {
      // Nothing has reached the client yet: a stream that broke before its first chunk may fail over.
      return failedBefore(err, upstream.status, call.timedOut ? "timeout" : "broken");
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

  let relayed: RelayedDocument;
  try {
    relayed = await dialect.relayDocument(request, upstream, ctx);
  } catch (err) {
    return failedBefore(err, upstream.status, call.timedOut ? "timeout" : "broken");
  }
  proxy.usage = relayed.usage;
  proxy.generatedChars = relayed.generatedChars;
  record(upstream.status, null, null);
  headers["content-type"] = "application/json";
  return { served: deps.document(relayed.text, { status: 200, headers }) };
}
