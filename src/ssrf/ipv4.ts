// IPv4 parsing in every spelling the WHATWG URL parser and inet_aton accept, plus the
// blocked-range table. URL parsing already normalises these for http(s), but the raw
// parser lets isBlockedAddress stay safe when handed an unparsed host or a DNS answer.

/** The outcome of reading a host as IPv4: a 32-bit value, "invalid" for numeric-looking junk, or null for a name. */
export type Ipv4Parse = number | "invalid" | null;

const NUMERIC_PART = /^(0[xX][0-9a-fA-F]*|[0-9]+)$/;

function parsePart(part: string): number | null {
  if (/^0[xX]/.test(part)) {
    const hex = part.slice(2);
    if (hex === "") return 0; // WHATWG reads a bare "0x" as zero
    return /^[0-9a-fA-F]+$/.test(hex) ? parseInt(hex, 16) : null;
  }
  if (part.length > 1 && part.startsWith("0")) return /^[0-7]+$/.test(part) ? parseInt(part, 8) : null;
  return /^[0-9]+$/.test(part) ? parseInt(part, 10) : null;
}

/**
 * Reads dotted, short (127.1), decimal (2130706433), hex (0x7f000001), octal (0177.0.0.1)
 * and mixed (0x7f.1) forms. A host whose last label is numeric is an IPv4 attempt, as in
 * WHATWG "ends in a number"; if it does not parse we call it "invalid" so callers block it.
 */
export function parseIpv4(host: string): Ipv4Parse {
  const parts = host.split(".");
  if (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
  const last = parts[parts.length - 1] ?? "";
  if (!NUMERIC_PART.test(last)) return null;
  if (parts.length > 4) return "invalid";
  const nums: number[] = [];
  for (const part of parts) {
    const n = part === "" ? null : parsePart(part);
    if (n === null || !Number.isSafeInteger(n)) return "invalid";
    nums.push(n);
  }
  const tail = nums.pop() ?? 0;
  if (nums.some((n) => n > 255)) return "invalid";
  if (tail >= 256 ** (4 - nums.length)) return "invalid";
  return nums.reduce((acc, n, i) => acc + n * 256 ** (3 - i), 0) + tail;
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

interface Range {
  base: number;
  bits: number;
  kind: string;
}

const range = (dotted: string, bits: number, kind: string): Range => {
  const base = parseIpv4(dotted);
  if (typeof base !== "number") throw new Error(`bad range ${dotted}`);
  return { base, bits, kind };
};

// Most specific entries first: the first match names the reason.
const BLOCKED: readonly Range[] = [
  range("169.254.169.254", 32, "cloud metadata"),
  range("0.0.0.0", 32, "unspecified"),
  range("255.255.255.255", 32, "broadcast"),
  range("0.0.0.0", 8, "reserved"),
  range("10.0.0.0", 8, "private"),
  range("100.64.0.0", 10, "shared (CGNAT)"),
  range("127.0.0.0", 8, "loopback"),
  range("169.254.0.0", 16, "link-local"),
  range("172.16.0.0", 12, "private"),
  range("192.0.0.0", 24, "reserved"),
  range("192.0.2.0", 24, "reserved (documentation)"),
  range("192.88.99.0", 24, "reserved (6to4 relay)"),
  range("192.168.0.0", 16, "private"),
  range("198.18.0.0", 15, "reserved (benchmarking)"),
  range("198.51.100.0", 24, "reserved (documentation)"),
  range("203.0.113.0", 24, "reserved (documentation)"),
  range("224.0.0.0", 4, "multicast"),
  range("240.0.0.0", 4, "reserved"),
];

/** The kind of blocked range the address falls in ("private", "loopback", …), or null if public. */
export function classifyIpv4(value: number): string | null {
  for (const r of BLOCKED) {
    const size = 2 ** (32 - r.bits);
    if (Math.floor(value / size) === Math.floor(r.base / size)) return r.kind;
  }
  return null;
}
