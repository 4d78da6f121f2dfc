import type { UpstreamTarget } from "../domain/target.ts";
import { GatewayError } from "../http/errors.ts";
import { fetchUpstreamSafely, UnsafeUpstreamError, type SsrfPolicy } from "../ssrf/index.ts";
import { UPSTREAM_ABORT, type FetchLike, type UpstreamInit } from "./fetch-like.ts";
import type { UpstreamCall } from "./upstream-call.ts";

/**
 * The transport for one target. A user-registered base URL is re-checked on every use (a host may
 * have been re-pointed since it was saved) and redirects are vetted hop by hop.
 */
export function transportFor(target: Pick<UpstreamTarget, "guarded" | "providerId">, transport: FetchLike, ssrf: SsrfPolicy): FetchLike {
  if (!target.guarded) return transport;
  return (input, init = {}) =>
    fetchUpstreamSafely(typeof input === "string" || input instanceof URL ? input : input.url, init, ssrf, transport).catch((err: unknown) => {
      if (err instanceof UnsafeUpstreamError) throw new GatewayError(400, "unsafe_upstream_url", `The upstream "${target.providerId}" may not be called: ${err.reason}.`);
      throw err;
    });
}

/**
 * The RequestInit of one upstream call: the stop hook for a transport that takes it, else an
 * AbortSignal (some fetch implementations copy the init, so the signal is a plain property).
 */
export function upstreamInit(headers: Record<string, string>, body: string, call: UpstreamCall, takesStopHook: boolean): UpstreamInit {
  return takesStopHook
    ? { method: "POST", headers, body, redirect: "manual", [UPSTREAM_ABORT]: call.onAbort }
    : { method: "POST", headers, body, redirect: "manual", signal: call.signal };
}
