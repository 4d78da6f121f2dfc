// Upstream response headers reach the client only through this allow-list: never set-cookie,
// never the upstream's auth, server or rate-limit headers (those describe the operator's account).
const PASS_THROUGH = ["openai-processing-ms", "openai-version"] as const;
const UPSTREAM_REQUEST_ID = ["x-request-id", "request-id"] as const;

/**
 * Copies the allow-listed headers. They are the upstream's words too: a value quoting a
 * credential the gateway sent (`leaks`) is dropped, never relayed.
 */
export function copyAllowedHeaders(from: Headers, to: Record<string, string>, leaks: (value: string) => boolean): void {
  for (const name of PASS_THROUGH) {
    const v = from.get(name);
    if (v !== null && !leaks(v)) to[name] = v;
  }
  for (const name of UPSTREAM_REQUEST_ID) {
    const v = from.get(name);
    // Our own x-request-id identifies the gateway request; the upstream's keeps its own name.
    if (v !== null) {
      if (!leaks(v)) to["x-upstream-request-id"] = v;
      break;
    }
  }
}

// Model ids are partly client-named (`<provider_id>/<anything>`): one that a header cannot carry
// as it is (non-ASCII) is sent percent-encoded rather than failing the request. Ids are checked
// when they come in (routing/model-id.ts); should one slip through unencodable, the header says so.
const HEADER_SAFE = /^[\x20-\x7e]*$/;
export function headerSafe(v: string): string {
  if (HEADER_SAFE.test(v)) return v;
  try {
    return encodeURIComponent(v);
  } catch {
    return "invalid";
  }
}
