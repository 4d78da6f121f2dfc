// SSRF guard for user-registered upstream base URLs. Pure web-platform code: the same checks
// run on Workers, Vercel Edge, Deno and Node. Implementation lives in ./ssrf/.

export { isBlockedAddress } from "./ssrf/address.ts";
export { checkUpstreamUrl, checkUpstreamUrlWithDns, type SsrfPolicy, type SsrfVerdict } from "./ssrf/check.ts";
export { fetchUpstreamSafely, UnsafeUpstreamError } from "./ssrf/fetch.ts";
