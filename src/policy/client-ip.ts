// The client's address, as anonymous rate limits count it. Where it comes from is each adapter's
// business (its own client-ip.ts): only what the platform itself vouches for, a header only where
// the platform overwrites it (Cloudflare, Vercel), the socket's peer on Node and Deno.
import { parseIpv6 } from "../ssrf/ipv6.ts";

/** Reads the caller's IP from a request; null when the platform gave none. */
export type ClientIpSource = (request: Request) => string | null;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * What one client is, for rate limiting: an IPv4 address, or an IPv6 /64 — one subscriber
 * usually holds a whole /64, so per-address limits would be trivial to dodge. IPv4-mapped IPv6
 * (::ffff:1.2.3.4, as Node reports IPv4 peers on dual-stack sockets) counts as the IPv4 address.
 * Anything unparseable is null: the caller then shares the "unknown" bucket.
 */
export function rateLimitSubject(raw: string | null): string | null {
  if (raw === null) return null;
  const ip = raw.trim();
  if (IPV4.test(ip)) return ip;
  const v6 = parseIpv6(ip);
  if (!v6) return null;
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, g = 0, h = 0] = v6.groups;
  if (a === 0 && b === 0 && c === 0 && d === 0 && e === 0 && f === 0xffff) {
    return `${g >> 8}.${g & 255}.${h >> 8}.${h & 255}`;
  }
  return `${a.toString(16)}:${b.toString(16)}:${c.toString(16)}:${d.toString(16)}::/64`;
}
