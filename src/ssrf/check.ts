// URL-level checks for user-registered upstream base URLs.

import { isBlockedAddress, isIpLiteral } from "./address.ts";
import { resolveHost } from "./doh.ts";

export interface SsrfPolicy {
  /**
   * Lower-case hosts, spelled as URL.hostname or URL.host (`localhost`, `localhost:8080`,
   * `[::1]:11434`), that may use plain http and private addresses: local development only.
   */
  trustedHosts: ReadonlySet<string>;
  /** DNS-over-HTTPS JSON endpoint, e.g. https://cloudflare-dns.com/dns-query. Unset = no DNS check. */
  dohUrl?: string;
  /** fetch used for DoH lookups; defaults to the global one. */
  fetch?: typeof fetch;
}

export type SsrfVerdict = { ok: true; url: URL } | { ok: false; reason: string };

const deny = (reason: string): SsrfVerdict => ({ ok: false, reason });

function isTrusted(url: URL, policy: SsrfPolicy): boolean {
  return policy.trustedHosts.has(url.hostname) || policy.trustedHosts.has(url.host);
}

/**
 * Syntactic check. WHATWG URL parsing (for the special schemes http/https) already rewrites
 * every IPv4 spelling (2130706433, 0x7f.1, 0177.0.0.1, full-width digits, %-escapes) to
 * dotted form and IPv6 to canonical form, so classification sees the address fetch() will use.
 */
export function checkUpstreamUrl(raw: string, policy: SsrfPolicy): SsrfVerdict {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return deny("not a valid URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return deny(`scheme ${url.protocol} is not allowed`);
  if (url.username !== "" || url.password !== "") return deny("credentials in the URL are not allowed");
  if (url.hostname === "") return deny("empty host is not allowed");
  if (isTrusted(url, policy)) return { ok: true, url };
  if (url.protocol === "http:") return deny(`plain http is only allowed for trusted hosts, not ${url.host}`);
  const blocked = isBlockedAddress(url.hostname);
  return blocked ? deny(blocked) : { ok: true, url };
}

/**
 * The syntactic check plus, when `dohUrl` is set, an A/AAAA lookup that rejects names pointing
 * at blocked addresses (e.g. 127.0.0.1.nip.io). Inherently time-of-check: a name can be re-pointed
 * later, so run it at registration and on redirect targets; the syntactic check still runs per call.
 */
export async function checkUpstreamUrlWithDns(raw: string, policy: SsrfPolicy): Promise<SsrfVerdict> {
  const verdict = checkUpstreamUrl(raw, policy);
  if (!verdict.ok || !policy.dohUrl || isTrusted(verdict.url, policy) || isIpLiteral(verdict.url.hostname)) {
    return verdict;
  }
  const name = verdict.url.hostname.replace(/\.+$/, "");
  // Called unbound: Workers reject fetch invoked with a foreign `this` (e.g. policy.fetch(...)).
  const fetchImpl = policy.fetch ?? fetch;
  const lookup = await resolveHost(name, policy.dohUrl, fetchImpl);
  if (!lookup.ok) return deny(lookup.reason);
  for (const address of lookup.addresses) {
    const blocked = isBlockedAddress(address);
    if (blocked) return deny(`${name} resolves to a blocked address: ${blocked}`);
  }
  return verdict;
}
