// IPv6 parsing and classification. Special-purpose prefixes that embed an IPv4 address
// (mapped, compatible, NAT64, 6to4) are judged by that IPv4 address too, so
// [::ffff:127.0.0.1] or [2002:7f00:1::] cannot smuggle a loopback target past the guard.

import { classifyIpv4, formatIpv4 } from "./ipv4.ts";

/** Eight 16-bit groups. */
export type Ipv6Groups = readonly number[];

function parseGroups(text: string): number[] | null {
  if (text === "") return [];
  const out: number[] = [];
  const pieces = text.split(":");
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i] ?? "";
    // A trailing dotted quad stands for the last two groups (strict decimal, as in RFC 4291).
    if (i === pieces.length - 1 && piece.includes(".")) {
      const octets = piece.split(".");
      if (octets.length !== 4 || !octets.every((o) => /^(0|[1-9][0-9]{0,2})$/.test(o) && Number(o) <= 255)) return null;
      const [a = 0, b = 0, c = 0, d = 0] = octets.map(Number);
      out.push(a * 256 + b, c * 256 + d);
      continue;
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return null;
    out.push(parseInt(piece, 16));
  }
  return out;
}

/** Parses an IPv6 literal, with or without brackets. Zone ids are reported separately. */
export function parseIpv6(host: string): { groups: Ipv6Groups; zoned: boolean } | null {
  let text = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (!text.includes(":")) return null;
  const zone = text.indexOf("%");
  const zoned = zone !== -1;
  if (zoned) text = text.slice(0, zone);
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const head = parseGroups(halves[0] ?? "");
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? "") : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  return { groups: [...head, ...new Array<number>(missing).fill(0), ...tail], zoned };
}

const g = (groups: Ipv6Groups, i: number): number => groups[i] ?? 0;
const ipv4At = (groups: Ipv6Groups, i: number): number => g(groups, i) * 65536 + g(groups, i + 1);
const allZero = (groups: Ipv6Groups, from: number, to: number): boolean =>
  groups.slice(from, to).every((x) => x === 0);

/** Why an address is blocked: a range name plus, for IPv4-embedding forms, what it wraps. */
export interface Ipv6Block {
  kind: string;
  embeds?: string;
}

function embedded(kind: string, ipv4: number): Ipv6Block {
  const inner = classifyIpv4(ipv4);
  const dotted = formatIpv4(ipv4);
  return { kind, embeds: inner ? `${inner} address ${dotted}` : dotted };
}

/** Why an IPv6 address is blocked, or null if it is ordinary global unicast. */
export function classifyIpv6(groups: Ipv6Groups): Ipv6Block | null {
  const first = g(groups, 0);
  const plain = (kind: string): Ipv6Block => ({ kind });
  if (allZero(groups, 0, 8)) return plain("unspecified");
  if (allZero(groups, 0, 7) && g(groups, 7) === 1) return plain("loopback");
  // ::ffff:a.b.c.d and ::a.b.c.d: never a legitimate upstream; write the IPv4 address instead.
  if (allZero(groups, 0, 5) && g(groups, 5) === 0xffff) return embedded("IPv4-mapped", ipv4At(groups, 6));
  if (allZero(groups, 0, 6)) return embedded("IPv4-compatible", ipv4At(groups, 6));
  // NAT64 (64:ff9b::/96) reaches whatever IPv4 address it wraps: judge that one.
  if (first === 0x64 && g(groups, 1) === 0xff9b && allZero(groups, 2, 6)) {
    const ipv4 = ipv4At(groups, 6);
    return classifyIpv4(ipv4) ? embedded("NAT64", ipv4) : null;
  }
  if (first === 0x64 && g(groups, 1) === 0xff9b && g(groups, 2) === 1) return plain("local-use NAT64");
  if (first >= 0xfe80 && first <= 0xfebf) return plain("link-local");
  if (first >= 0xfec0 && first <= 0xfeff) return plain("site-local");
  if (first >= 0xfc00 && first <= 0xfdff) return plain("unique-local");
  if (first >= 0xff00) return plain("multicast");
  // 6to4 (2002::/16) wraps an IPv4 address in groups 1-2.
  if (first === 0x2002) {
    const ipv4 = ipv4At(groups, 1);
    return classifyIpv4(ipv4) ? embedded("6to4", ipv4) : null;
  }
  if (first === 0x2001 && g(groups, 1) === 0) return plain("Teredo");
  if (first === 0x2001 && g(groups, 1) === 0xdb8) return plain("reserved (documentation)");
  if (first === 0x3fff && g(groups, 1) < 0x1000) return plain("reserved (documentation)");
  // Everything outside global unicast 2000::/3 is unassigned or special-purpose.
  if (first < 0x2000 || first > 0x3fff) return plain("reserved");
  return null;
}
