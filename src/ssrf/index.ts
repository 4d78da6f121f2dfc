// SSRF guard for user-registered upstream base URLs. Pure web-platform code: the same checks
// run on Workers, Vercel Edge, Deno and Node. Implementation lives in ./ssrf/.

export { isBlockedAddress } from "./address.ts";
export { checkUpstreamUrl, checkUpstreamUrlWithDns, type SsrfPolicy, type SsrfVerdict } from "./check.ts";
export { fetchUpstreamSafely, UnsafeUpstreamError } from "./fetch.ts";
