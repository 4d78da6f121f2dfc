import type { Caller } from "../domain/caller.ts";
import type { ProxyOutcome } from "../domain/outcome.ts";
import type { ClientAbortHook, WaitUntil } from "../domain/runtime.ts";

export type { ClientAbortHook };

/** Per-request facts every route may need, passed alongside the Request through the router. */
export interface RequestContext {
  requestId: string;
  startedAt: number;
  waitUntil: WaitUntil;
  onClientAbort: ClientAbortHook;
  /** Who called, once a route has identified them (for the request's outcome). */
  caller: Caller | null;
  /** Set by the proxy once the request is routed (for the request's outcome). */
  proxy: ProxyOutcome | null;
  /**
   * A response whose body outlives the handler (a stream) ends later: the proxy hands over the
   * promise of that end, and the outcome is emitted when it settles.
   */
  ended: Promise<unknown> | null;
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
