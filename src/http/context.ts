import type { WaitUntil } from "../deps.ts";

/** Calls `listener` once when the client goes away; returns how to stop listening. */
export type ClientAbortHook = (listener: () => void) => () => void;

/** Per-request facts every route may need, passed alongside the Request through the router. */
export interface RequestContext {
  requestId: string;
  startedAt: number;
  waitUntil: WaitUntil;
  onClientAbort: ClientAbortHook;
}

/** An AbortSignal as a hook. */
export function signalHook(signal: AbortSignal): ClientAbortHook {
  return (listener) => {
    if (signal.aborted) {
      listener();
      return () => {};
    }
    signal.addEventListener("abort", listener, { once: true });
    return () => signal.removeEventListener("abort", listener);
  };
}

/** The standard way: the request's AbortSignal, read only when someone subscribes. */
export const signalAbortHook =
  (request: Request): ClientAbortHook =>
  (listener) =>
    signalHook(request.signal)(listener);
