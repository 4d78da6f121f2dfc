// Minimal DNS-over-HTTPS client for the JSON API (application/dns-json) offered by
// Cloudflare (https://cloudflare-dns.com/dns-query) and Google (https://dns.google/resolve).
// Workers and edge runtimes have no resolver API, so DoH is the portable way to look names up.

const RECORD_TYPES = { A: 1, AAAA: 28 } as const;
const DOH_TIMEOUT_MS = 5_000;

export type Lookup = { ok: true; addresses: string[] } | { ok: false; reason: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** Pulls the address answers of one type out of a DoH JSON body; CNAME links are skipped. */
function answersOf(body: unknown, type: number): string[] | string {
  if (!isRecord(body) || typeof body.Status !== "number") return "malformed DNS answer";
  // 3 = NXDOMAIN: a name that does not exist; any other non-zero status is a resolver failure.
  if (body.Status === 3) return "name does not exist";
  if (body.Status !== 0) return `DNS status ${body.Status}`;
  const answers = Array.isArray(body.Answer) ? body.Answer : [];
  const out: string[] = [];
  for (const answer of answers) {
    if (isRecord(answer) && answer.type === type && typeof answer.data === "string") out.push(answer.data);
  }
  return out;
}

async function query(name: string, type: keyof typeof RECORD_TYPES, dohUrl: string, fetchImpl: typeof fetch) {
  const url = new URL(dohUrl);
  url.searchParams.set("name", name);
  url.searchParams.set("type", type);
  const res = await fetchImpl(url.href, {
    headers: { accept: "application/dns-json" },
    signal: AbortSignal.timeout(DOH_TIMEOUT_MS),
  });
  if (!res.ok) {
    await res.body?.cancel();
    return `resolver answered HTTP ${res.status}`;
  }
  const body: unknown = await res.json();
  return answersOf(body, RECORD_TYPES[type]);
}

/** Resolves A and AAAA records. Any failure is reported, never treated as "no addresses". */
export async function resolveHost(name: string, dohUrl: string, fetchImpl: typeof fetch): Promise<Lookup> {
  try {
    const results = await Promise.all([query(name, "A", dohUrl, fetchImpl), query(name, "AAAA", dohUrl, fetchImpl)]);
    const addresses: string[] = [];
    for (const result of results) {
      if (typeof result === "string") return { ok: false, reason: `DNS lookup for ${name} failed: ${result}` };
      addresses.push(...result);
    }
    if (addresses.length === 0) return { ok: false, reason: `DNS lookup for ${name} returned no addresses` };
    return { ok: true, addresses };
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    return { ok: false, reason: `DNS lookup for ${name} failed: ${detail}` };
  }
}
