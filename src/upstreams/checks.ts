// What a custom upstream's base URL must satisfy before it is saved: the SSRF guard's verdict.
import { GatewayError } from "../http/errors.ts";
import { checkUpstreamUrlWithDns, type SsrfPolicy } from "../ssrf/index.ts";

/** Models an upstream may declare (or discovery may keep). */
export const MAX_MODELS = 1000;

/** The base URL as stored (no trailing slash), after the SSRF check (with DNS when configured). */
export async function checkBaseUrl(raw: string, ssrf: SsrfPolicy): Promise<string> {
  const unsafe = (why: string) => new GatewayError(400, "unsafe_upstream_url", `base_url is not allowed: ${why}.`, "base_url");
  const verdict = await checkUpstreamUrlWithDns(raw, ssrf);
  if (!verdict.ok) throw unsafe(verdict.reason);
  if (verdict.url.search !== "" || verdict.url.hash !== "") {
    throw new GatewayError(400, "invalid_body", "base_url: must not have a query or fragment (paths such as /models are appended to it)", "base_url");
  }
  return raw.replace(/\/+$/, "");
}
