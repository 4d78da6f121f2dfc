import type { FetchLike } from "../deps.ts";
import { GatewayError } from "../http/errors.ts";
import { fetchUpstreamSafely, UnsafeUpstreamError, type SsrfPolicy } from "../ssrf/index.ts";
import type { ResolvedModel } from "../routing/resolve.ts";

/**
 * The transport for one route. A user-registered base URL is re-checked on every use (a host may
 * have been re-pointed since it was saved) and redirects are vetted hop by hop.
 */
export function upstreamFetch(route: ResolvedModel, transport: FetchLike, ssrf: SsrfPolicy): FetchLike {
  if (!route.guarded) return transport;
  return (input, init = {}) =>
    fetchUpstreamSafely(typeof input === "string" || input instanceof URL ? input : input.url, init, ssrf, transport).catch((err: unknown) => {
      if (err instanceof UnsafeUpstreamError) throw new GatewayError(400, "unsafe_upstream_url", `The upstream "${route.providerId}" may not be called: ${err.reason}.`);
      throw err;
    });
}
