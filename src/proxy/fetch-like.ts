import type { ClientAbortHook } from "../domain/runtime.ts";

/**
 * RequestInit key under which the core hands a transport the upstream call's stop hook, in place
 * of an AbortSignal (on Node 20 an AbortSignal per call is a measurable cost). Only a transport
 * that says it takes the hook (`takesStopHook`) gets it; any other gets `signal`.
 */
export const UPSTREAM_ABORT: unique symbol = Symbol.for("edgegate.upstreamAbort");
export type UpstreamInit = RequestInit & { [UPSTREAM_ABORT]?: ClientAbortHook };

/** The upstream transport: any function shaped like the standard fetch. */
export type FetchLike = ((input: string | URL | Request, init?: UpstreamInit) => Promise<Response>) & {
  /** True when the transport stops a call through init[UPSTREAM_ABORT] rather than init.signal. */
  takesStopHook?: boolean;
};
