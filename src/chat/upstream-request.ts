import type { ChatRequest } from "./body.ts";
import type { ResolvedModel } from "./resolve-model.ts";

/**
 * The body the upstream receives: the client's own, with `model` rewritten to the upstream's
 * id and, for streams, usage reporting switched on so the gateway can account for it.
 */
export function upstreamBody(chat: ChatRequest, route: ResolvedModel): string {
  const out: Record<string, unknown> = { ...chat.raw, model: route.upstreamModel };
  if (chat.stream) {
    const given = chat.raw.stream_options;
    out.stream_options = typeof given === "object" && given !== null ? { ...given, include_usage: true } : { include_usage: true };
  }
  return JSON.stringify(out);
}

/** A plain record rather than Headers: transports can use it as-is. */
export function upstreamHeaders(route: ResolvedModel, stream: boolean): Record<string, string> {
  return {
    ...route.extraHeaders,
    authorization: `Bearer ${route.apiKey}`,
    "content-type": "application/json",
    accept: stream ? "text/event-stream" : "application/json",
  };
}
