import type { Config } from "../config/schema.ts";
import type { DocumentFactory, FetchLike } from "../deps.ts";
import type { RequestContext } from "../http/context.ts";
import { readBodyText } from "../http/read-body.ts";
import { copyAllowedHeaders } from "../http/upstream-headers.ts";
import type { Services } from "../services.ts";
import { identify } from "../auth/identify.ts";
import { parseChatBody } from "./body.ts";
import { modelRewriter } from "./model-rewrite.ts";
import { relayJson } from "./relay-json.ts";
import { relayStream } from "./relay-stream.ts";
import { resolveRoute, type ResolvedModel } from "./resolve-model.ts";
import { UpstreamCall } from "./upstream-call.ts";
import { upstreamFetch } from "./upstream-fetch.ts";
import { normaliseUpstreamError } from "./upstream-error.ts";
import { upstreamBody, upstreamHeaders } from "./upstream-request.ts";

export interface ChatDeps {
  config: Config;
  svc: Services;
  fetch: FetchLike;
  document: DocumentFactory;
}

/** POST /v1/chat/completions: parse -> resolve -> call upstream -> relay. */
export function chatCompletions(deps: ChatDeps) {
  const { config } = deps;
  return async (request: Request, rc: RequestContext): Promise<Response> => {
    const chat = parseChatBody(await readBodyText(request, config.GATEWAY_MAX_BODY_BYTES));
    const caller = await identify(request, deps.svc.auth);
    const route = await resolveRoute(chat.model, caller, deps.svc.routes);
    if (caller.kind !== "anonymous" && caller.apiKeyId) deps.svc.touchApiKey(caller.apiKeyId, rc.waitUntil);

    const call = new UpstreamCall(config.GATEWAY_FIRST_BYTE_TIMEOUT_MS, config.GATEWAY_TOTAL_TIMEOUT_MS, request.signal);
    let upstream: Response;
    try {
      upstream = await upstreamFetch(route, deps.fetch, deps.svc.ssrf)(`${route.baseUrl}/chat/completions`, {
        method: "POST",
        headers: upstreamHeaders(route, chat.stream),
        body: upstreamBody(chat, route),
        signal: call.signal,
        redirect: "manual",
      });
    } catch (cause) {
      call.finish();
      throw call.failure(cause);
    }

    // Headers arrived: the upstream has started answering. A stream waits for its first chunk.
    if (!chat.stream) call.firstByteArrived();
    const headers = gatewayHeaders(rc, route, upstream.headers);
    if (!upstream.ok) {
      const text = await upstream.text().catch(() => "");
      call.finish();
      const { status, body } = normaliseUpstreamError(upstream.status, text);
      headers.set("content-type", "application/json");
      return deps.document(JSON.stringify(body), { status, headers });
    }

    const rewriteModel = modelRewriter(chat.model);
    const isEventStream = upstream.headers.get("content-type")?.includes("text/event-stream") === true;
    if (chat.stream && isEventStream && upstream.body) {
      const body = await relayStream({
        upstreamBody: upstream.body,
        call,
        rewriteModel,
        forwardUsageChunk: chat.wantsUsage,
      });
      headers.set("content-type", "text/event-stream; charset=utf-8");
      headers.set("cache-control", "no-cache");
      return new Response(body, { status: 200, headers });
    }
    const { text } = await relayJson(upstream, call, rewriteModel);
    headers.set("content-type", "application/json");
    return deps.document(text, { status: 200, headers });
  };
}

function gatewayHeaders(rc: RequestContext, route: ResolvedModel, upstream: Headers): Headers {
  const headers = new Headers({
    "x-request-id": rc.requestId,
    "x-gateway-provider": route.providerId,
    "x-gateway-model": route.upstreamModel,
  });
  copyAllowedHeaders(upstream, headers);
  return headers;
}
