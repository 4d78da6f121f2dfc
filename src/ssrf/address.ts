// One entry point that classifies any host string: IPv6 literal, IPv4 in any spelling, or name.

import { classifyIpv4, formatIpv4, parseIpv4 } from "./ipv4.ts";
import { classifyIpv6, parseIpv6 } from "./ipv6.ts";
import { classifyHostname } from "./names.ts";

/**
 * Reason the host must not be contacted, or null. Accepts raw, un-normalised input on purpose
 * (defence in depth): `0177.1`, `2130706433`, `[::ffff:7f00:1]`, `LOCALHOST.` are all caught.
 */
export function isBlockedAddress(host: string): string | null {
  const trimmed = host.trim().toLowerCase();
  const v6 = parseIpv6(trimmed);
  if (v6) {
    const shown = trimmed.replace(/^\[|\]$/g, "");
    if (v6.zoned) return `scoped IPv6 address ${shown} is not allowed`;
    const block = classifyIpv6(v6.groups);
    if (!block) return null;
    const note = block.embeds ? ` (embeds ${block.embeds})` : "";
    return `${block.kind} address ${shown} is not allowed${note}`;
  }
  if (trimmed.includes("[") || trimmed.includes(":")) return `malformed address ${trimmed} is not allowed`;
  const name = trimmed.replace(/\.+$/, "");
  const v4 = parseIpv4(name);
  if (v4 === "invalid") return `ambiguous numeric host ${trimmed} is not allowed`;
  if (v4 !== null) {
    const kind = classifyIpv4(v4);
    return kind ? `${kind} address ${formatIpv4(v4)} is not allowed` : null;
  }
  return classifyHostname(name);
}

/** True when the host is an IP literal (so there is nothing to resolve). */
export function isIpLiteral(host: string): boolean {
  return parseIpv6(host) !== null || typeof parseIpv4(host.replace(/\.+$/, "")) === "number";
}
