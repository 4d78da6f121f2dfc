import type { ChatRequest } from "./body.ts";
import { UPSTREAM_ABORT, type UpstreamInit } from "../deps.ts";
import type { ClientAbortHook } from "../http/context.ts";
import type { ResolvedModel } from "./resolve-model.ts";
import type { UpstreamCall } from "./upstream-call.ts";

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

/**
 * The RequestInit of one upstream call. A class rather than an object literal: `signal` is a
 * getter (the AbortSignal is built only for a transport that reads it; the Node one takes the
 * stop hook instead), and V8 creates a literal with an accessor through a slow path.
 */
export class UpstreamRequestInit implements UpstreamInit {
  readonly method = "POST";
  readonly redirect = "manual";
  readonly [UPSTREAM_ABORT]: ClientAbortHook;
  readonly #call: UpstreamCall;

  constructor(
    readonly headers: Record<string, string>,
    readonly body: string,
    call: UpstreamCall,
  ) {
    this.#call = call;
    this[UPSTREAM_ABORT] = call.onAbort;
  }

  get signal(): AbortSignal {
    return this.#call.signal;
  }
}
