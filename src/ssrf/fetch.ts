// fetch() for upstream calls that never lets a redirect carry the request somewhere unsafe.

import { checkUpstreamUrl, checkUpstreamUrlWithDns, type SsrfPolicy } from "./check.ts";

export class UnsafeUpstreamError extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(`Unsafe upstream URL: ${reason}`);
    this.name = "UnsafeUpstreamError";
    this.reason = reason;
  }
}

const MAX_REDIRECTS = 3;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
// Provider keys travel in several headers; none may follow a redirect to another origin.
const CREDENTIAL_HEADERS = ["authorization", "proxy-authorization", "cookie", "api-key", "x-api-key", "x-goog-api-key"];
const BODY_HEADERS = ["content-type", "content-length", "content-encoding", "content-language", "content-location"];

/** Per the fetch spec, 303 and POST-after-301/302 become a body-less GET. */
function dropsBody(status: number, method: string): boolean {
  return (status === 303 && method !== "HEAD") || ((status === 301 || status === 302) && method === "POST");
}

/**
 * Fetches with `redirect: "manual"` and follows up to three redirects itself, vetting each
 * target (with DNS when the policy has a resolver). The first URL gets the syntactic re-check
 * only: it was DNS-checked when registered, and a lookup per request would add latency.
 * A caller passing `redirect: "manual"` gets the 3xx back untouched.
 */
export async function fetchUpstreamSafely(
  input: string | URL,
  init: RequestInit,
  policy: SsrfPolicy,
  fetchImpl: typeof fetch,
): Promise<Response> {
  const first = checkUpstreamUrl(String(input), policy);
  if (!first.ok) throw new UnsafeUpstreamError(first.reason);
  let url = first.url;
  let method = (init.method ?? "GET").toUpperCase();
  let body = init.body ?? null;
  const headers = new Headers(init.headers);

  for (let redirects = 0; ; redirects++) {
    const res = await fetchImpl(url.href, { ...init, method, headers: new Headers(headers), body, redirect: "manual" });
    const location = res.headers.get("location");
    if (!REDIRECT_STATUSES.has(res.status) || location === null || init.redirect === "manual") return res;
    await res.body?.cancel();
    if (init.redirect === "error") throw new TypeError(`upstream redirected (${res.status}) and redirect is "error"`);
    if (redirects >= MAX_REDIRECTS) throw new UnsafeUpstreamError(`more than ${MAX_REDIRECTS} redirects`);

    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new UnsafeUpstreamError("redirect to an invalid URL");
    }
    const verdict = await checkUpstreamUrlWithDns(next.href, policy);
    if (!verdict.ok) throw new UnsafeUpstreamError(`redirect rejected: ${verdict.reason}`);

    if (dropsBody(res.status, method)) {
      method = "GET";
      body = null;
      for (const name of BODY_HEADERS) headers.delete(name);
    } else if (body instanceof ReadableStream) {
      throw new TypeError("cannot replay a streamed request body across a redirect");
    }
    if (verdict.url.origin !== url.origin) for (const name of CREDENTIAL_HEADERS) headers.delete(name);
    url = verdict.url;
  }
}
