import type { UpstreamTarget } from "../domain/target.ts";
import { rateHeaders, type RateOutcome } from "../policy/rate-limit.ts";
import { quotesCredential } from "./redact.ts";
import { copyAllowedHeaders, headerSafe } from "./upstream-headers.ts";

/**
 * The headers of a proxied answer: the request id, what served it after how many upstream calls,
 * the caller's rate headroom and the allow-listed upstream headers. A plain record: the response is built once, from it (a
 * Headers object per request costs on Node).
 */
export function responseHeaders(
  requestId: string,
  target: Pick<UpstreamTarget, "providerId" | "upstreamModel" | "apiKey" | "extraHeaders">,
  upstream: Headers,
  rate: RateOutcome,
  now: number,
  calls: number,
): Record<string, string> {
  const headers: Record<string, string> = {
    "x-request-id": requestId,
    "x-gateway-provider": headerSafe(target.providerId),
    "x-gateway-model": headerSafe(target.upstreamModel),
    "x-gateway-attempts": String(calls),
  };
  rateHeaders(headers, rate, now);
  copyAllowedHeaders(upstream, headers, (v) => quotesCredential(v, target.apiKey, target.extraHeaders));
  return headers;
}
