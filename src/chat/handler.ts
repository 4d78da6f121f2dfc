import type { Accountant, RequestOutcome } from "../accounting/accountant.ts";
import type { Config } from "../config/schema.ts";
import type { DocumentFactory, FetchLike } from "../deps.ts";
import type { RequestContext } from "../http/context.ts";
import { GatewayError } from "../http/errors.ts";
import { readBodyText } from "../http/read-body.ts";
import { copyAllowedHeaders } from "../http/upstream-headers.ts";
import { rateHeaders, type Admission, type Policy } from "../policy/index.ts";
import type { Services } from "../services.ts";
import { identify } from "../auth/identify.ts";
import type { Caller } from "../auth/caller.ts";
import { parseChatBody, type ChatRequest } from "./body.ts";
import { modelRewriter } from "./model-rewrite.ts";
import { quotesCredential, sentSecrets } from "./redact.ts";
import { relayJson, type JsonRelay } from "./relay-json.ts";
import { relayStream } from "./relay-stream.ts";
import { resolveRoute, type ResolvedModel } from "./resolve-model.ts";
import { UpstreamCall } from "./upstream-call.ts";
import { upstreamFetch } from "./upstream-fetch.ts";
import { normaliseUpstreamError } from "./upstream-error.ts";
import { upstreamBody, upstreamHeaders, upstreamInit } from "./upstream-request.ts";
import type { Usage } from "./usage.ts";

export interface ChatDeps {
  config: Config;
  svc: Services;
  fetch: FetchLike;
  document: DocumentFactory;
  policy: Policy;
  accountant: Accountant;
}

/**
 * POST /v1/chat/completions: parse -> identify -> resolve -> admit (allow-lists, credit, rate
 * limits) -> call upstream -> relay -> account in the background.
 */
export function chatCompletions(deps: ChatDeps) {
  const { config, policy, accountant } = deps;
  const now = deps.svc.now;
  const takesStopHook = deps.fetch.takesStopHook === true;
  return async (request: Request, rc: RequestContext): Promise<Response> => {
    const chat = parseChatBody(await readBodyText(request, config.GATEWAY_MAX_BODY_BYTES));
    const caller = await identify(request, deps.svc.auth);
    const route = await resolveRoute(chat.model, caller, deps.svc.routes);
    if (caller.kind !== "anonymous" && caller.apiKeyId) deps.svc.touchApiKey(caller.apiKeyId, rc.waitUntil);
    const admission = await policy.admit(request, caller, route, chat, rc.waitUntil);

    // From here on the request counts: however it ends, it is accounted for (in the background).
    // Anonymous requests without token reservations leave nothing to record.
    const accounted = admission.owner !== null || admission.rate.reservations.length > 0;
    const account = (status: number, firstByteAt: number | null, usage: Usage | undefined, generatedChars: number) => {
      if (accounted) rc.waitUntil(accountant.recordSoon(outcome(rc, caller, route, chat, admission, status, firstByteAt, now(), usage, generatedChars)));
    };

    const call = new UpstreamCall(config.GATEWAY_FIRST_BYTE_TIMEOUT_MS, config.GATEWAY_TOTAL_TIMEOUT_MS, rc.onClientAbort);
    let upstream: Response;
    try {
      const init = upstreamInit(upstreamHeaders(route, chat.stream), upstreamBody(chat, route), call, takesStopHook);
      upstream = await upstreamFetch(route, deps.fetch, deps.svc.ssrf)(`${route.baseUrl}/chat/completions`, init);
    } catch (cause) {
      call.finish();
      const err = call.failure(cause);
      account(err.status, null, undefined, 0);
      throw err;
    }

    // Headers arrived: the upstream has started answering. A stream waits for its first chunk.
    const headersAt = now();
    if (!chat.stream) call.firstByteArrived();
    const headers = gatewayHeaders(rc, route, upstream.headers, admission, headersAt);
    if (!upstream.ok) {
      const text = await upstream.text().catch(() => "");
      call.finish();
      const { status, body } = normaliseUpstreamError(upstream.status, text, { byok: route.byok, model: chat.model, secrets: sentSecrets(route.apiKey, route.extraHeaders) });
      account(status, headersAt, undefined, 0);
      headers["content-type"] = "application/json";
      return deps.document(JSON.stringify(body), { status, headers });
    }

    const rewriteModel = modelRewriter(chat.model);
    const isEventStream = upstream.headers.get("content-type")?.includes("text/event-stream") === true;
    if (chat.stream && isEventStream && upstream.body) {
      // Accounted when the stream ends, however it ends (completed, cut off, client gone).
      let ended: ((result: [Usage | undefined, number]) => void) | undefined;
      const streamEnded = new Promise<[Usage | undefined, number]>((resolve) => (ended = resolve));
      let body: ReadableStream<Uint8Array>;
      try {
        body = await relayStream({
          upstreamBody: upstream.body,
          call,
          rewriteModel,
          forwardUsageChunk: chat.wantsUsage,
          secrets: () => sentSecrets(route.apiKey, route.extraHeaders),
          onEnd: (_end, usage, chars) => ended?.([usage, chars]),
        });
      } catch (err) {
        account(err instanceof GatewayError ? err.status : 502, headersAt, undefined, 0);
        throw err;
      }
      const firstChunkAt = now();
      if (accounted) rc.waitUntil(streamEnded.then(([usage, chars]) => accountant.recordSoon(outcome(rc, caller, route, chat, admission, 200, firstChunkAt, now(), usage, chars))));
      headers["content-type"] = "text/event-stream; charset=utf-8";
      headers["cache-control"] = "no-cache";
      return new Response(body, { status: 200, headers });
    }
    let relayed: JsonRelay;
    try {
      relayed = await relayJson(upstream, call, rewriteModel, () => sentSecrets(route.apiKey, route.extraHeaders));
    } catch (err) {
      account(err instanceof GatewayError ? err.status : 502, headersAt, undefined, 0);
      throw err;
    }
    account(200, headersAt, relayed.usage, relayed.generatedChars);
    headers["content-type"] = "application/json";
    return deps.document(relayed.text, { status: 200, headers });
  };
}

function outcome(
  rc: RequestContext,
  caller: Caller,
  route: ResolvedModel,
  chat: ChatRequest,
  admission: Admission,
  status: number,
  firstByteAt: number | null,
  endedAt: number,
  usage: Usage | undefined,
  generatedChars: number,
): RequestOutcome {
  return {
    requestId: rc.requestId,
    owner: admission.owner,
    apiKeyId: caller.kind === "anonymous" ? null : caller.apiKeyId,
    model: chat.model,
    route,
    messages: chat.raw.messages,
    status,
    startedAt: rc.startedAt,
    firstByteAt,
    endedAt,
    usage,
    generatedChars,
    reservations: admission.rate.reservations,
  };
}

// Model ids are partly client-named (`<provider_id>/<anything>`): one that a header cannot carry
// as it is (non-ASCII) is sent percent-encoded rather than failing the request. Ids are checked
// when they come in (model-id.ts); should one slip through unencodable, the header says so.
const HEADER_SAFE = /^[\x20-\x7e]*$/;
function headerSafe(v: string): string {
  if (HEADER_SAFE.test(v)) return v;
  try {
    return encodeURIComponent(v);
  } catch {
    return "invalid";
  }
}

/** A plain record: the response is built once, from it (a Headers object per request costs on Node). */
function gatewayHeaders(rc: RequestContext, route: ResolvedModel, upstream: Headers, admission: Admission, now: number): Record<string, string> {
  const headers: Record<string, string> = {
    "x-request-id": rc.requestId,
    "x-gateway-provider": headerSafe(route.providerId),
    "x-gateway-model": headerSafe(route.upstreamModel),
  };
  rateHeaders(headers, admission.rate, now);
  copyAllowedHeaders(upstream, headers, (v) => quotesCredential(v, route.apiKey, route.extraHeaders));
  return headers;
}
