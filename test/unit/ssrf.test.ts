import { describe, expect, it } from "vitest";
import {
  checkUpstreamUrl,
  checkUpstreamUrlWithDns,
  fetchUpstreamSafely,
  isBlockedAddress,
  UnsafeUpstreamError,
  type SsrfPolicy,
} from "../../src/upstreams/ssrf.ts";

const strict: SsrfPolicy = { trustedHosts: new Set() };

// [url, expected reason fragment]
const REJECTED: ReadonlyArray<readonly [string, string]> = [
  // scheme, userinfo, syntax
  ["ftp://example.com/", "scheme ftp:"],
  ["file:///etc/passwd", "scheme file:"],
  ["javascript:alert(1)", "scheme javascript:"],
  ["gopher://example.com:70/", "scheme gopher:"],
  ["ws://example.com/", "scheme ws:"],
  ["http://api.openai.com/v1", "plain http"],
  ["http://localhost/v1", "plain http"],
  ["https://user:pass@api.openai.com/v1", "credentials"],
  ["https://user@api.openai.com/v1", "credentials"],
  ["https://:secret@api.openai.com/v1", "credentials"],
  ["https://127.0.0.1:443@evil.com/", "credentials"],
  ["not a url", "not a valid URL"],
  ["https://", "not a valid URL"],
  ["", "not a valid URL"],
  ["https://1.2.3.4.5/", "not a valid URL"],
  // loopback in every IPv4 spelling
  ["https://127.0.0.1/v1", "loopback address 127.0.0.1"],
  ["https://127.255.255.254/", "loopback address 127.255.255.254"],
  ["https://2130706433/", "loopback address 127.0.0.1"],
  ["https://0x7f000001/", "loopback address 127.0.0.1"],
  ["https://0X7F000001/", "loopback address 127.0.0.1"],
  ["https://017700000001/", "loopback address 127.0.0.1"],
  ["https://0177.0.0.1/", "loopback address 127.0.0.1"],
  ["https://0177.0000.0000.0001/", "loopback address 127.0.0.1"],
  ["https://127.1/", "loopback address 127.0.0.1"],
  ["https://127.0.1/", "loopback address 127.0.0.1"],
  ["https://0x7f.1/", "loopback address 127.0.0.1"],
  ["https://0x7f.0x0.0x0.0x1/", "loopback address 127.0.0.1"],
  ["https://127.0.0.1./", "loopback address 127.0.0.1"],
  ["https://%31%32%37.0.0.1/", "loopback address 127.0.0.1"],
  ["https://\uff11\uff12\uff17.\uff10.\uff10.\uff11/", "loopback address 127.0.0.1"],
  ["https://127.0.0.1:8443/v1", "loopback address 127.0.0.1"],
  ["https://[::1]/", "loopback address ::1"],
  ["https://[0:0:0:0:0:0:0:1]/", "loopback address ::1"],
  // private
  ["https://10.0.0.1/", "private address 10.0.0.1"],
  ["https://10.1/", "private address 10.0.0.1"],
  ["https://167772161/", "private address 10.0.0.1"],
  ["https://012.0.0.1/", "private address 10.0.0.1"],
  ["https://172.16.0.1/", "private address 172.16.0.1"],
  ["https://172.31.255.255/", "private address 172.31.255.255"],
  ["https://192.168.1.1/", "private address 192.168.1.1"],
  ["https://0300.0250.0.1/", "private address 192.168.0.1"],
  ["https://0xc0a80001/", "private address 192.168.0.1"],
  ["https://192.168.65535/", "private address 192.168.255.255"],
  // link-local and cloud metadata
  ["https://169.254.169.254/latest/meta-data/", "cloud metadata address 169.254.169.254"],
  ["https://0xa9fea9fe/", "cloud metadata address 169.254.169.254"],
  ["https://2852039166/", "cloud metadata address 169.254.169.254"],
  ["https://169.254.43518/", "cloud metadata address 169.254.169.254"],
  ["https://169.254.1.1/", "link-local address 169.254.1.1"],
  ["https://[fe80::1]/", "link-local address fe80::1"],
  ["https://[febf:ffff::1]/", "link-local"],
  ["https://[fec0::1]/", "site-local"],
  // CGNAT
  ["https://100.64.0.1/", "CGNAT"],
  ["https://100.127.255.254/", "CGNAT"],
  // multicast
  ["https://224.0.0.1/", "multicast address 224.0.0.1"],
  ["https://239.255.255.250/", "multicast address 239.255.255.250"],
  ["https://[ff02::1]/", "multicast address ff02::1"],
  ["https://[ff0e::1]/", "multicast"],
  // reserved
  ["https://240.0.0.1/", "reserved address 240.0.0.1"],
  ["https://254.1.2.3/", "reserved address 254.1.2.3"],
  ["https://0.1.2.3/", "reserved address 0.1.2.3"],
  ["https://192.0.0.8/", "reserved address 192.0.0.8"],
  ["https://192.0.2.1/", "documentation"],
  ["https://198.18.0.1/", "benchmarking"],
  ["https://198.19.255.255/", "benchmarking"],
  ["https://198.51.100.7/", "documentation"],
  ["https://203.0.113.9/", "documentation"],
  ["https://255.255.255.255/", "broadcast"],
  ["https://4294967295/", "broadcast"],
  ["https://[2001:db8::1]/", "documentation"],
  ["https://[100::1]/", "reserved"],
  // unspecified
  ["https://0.0.0.0/", "unspecified address 0.0.0.0"],
  ["https://0/", "unspecified address 0.0.0.0"],
  ["https://0x0/", "unspecified address 0.0.0.0"],
  ["https://[::]/", "unspecified address ::"],
  // unique-local
  ["https://[fc00::1]/", "unique-local"],
  ["https://[fd12:3456:789a::1]/", "unique-local"],
  // IPv4-mapped and IPv4-compatible
  ["https://[::ffff:127.0.0.1]/", "IPv4-mapped address ::ffff:7f00:1 is not allowed (embeds loopback address 127.0.0.1)"],
  ["https://[::ffff:7f00:1]/", "embeds loopback address 127.0.0.1"],
  ["https://[0:0:0:0:0:ffff:10.0.0.1]/", "embeds private address 10.0.0.1"],
  ["https://[::ffff:a9fe:a9fe]/", "embeds cloud metadata address 169.254.169.254"],
  ["https://[::ffff:1.1.1.1]/", "IPv4-mapped"],
  ["https://[::127.0.0.1]/", "IPv4-compatible address ::7f00:1"],
  ["https://[::10.0.0.1]/", "IPv4-compatible"],
  // NAT64, 6to4, Teredo
  ["https://[64:ff9b::127.0.0.1]/", "NAT64 address 64:ff9b::7f00:1 is not allowed (embeds loopback"],
  ["https://[64:ff9b::a9fe:a9fe]/", "embeds cloud metadata"],
  ["https://[64:ff9b::10.0.0.1]/", "embeds private address 10.0.0.1"],
  ["https://[64:ff9b:1::1]/", "local-use NAT64"],
  ["https://[2002:7f00:1::]/", "6to4 address 2002:7f00:1:: is not allowed (embeds loopback"],
  ["https://[2002:c0a8:101::1]/", "embeds private address 192.168.1.1"],
  ["https://[2002:a9fe:a9fe::1]/", "embeds cloud metadata"],
  ["https://[2001::1]/", "Teredo"],
  ["https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "Teredo"],
  // internal names
  ["https://localhost/", "internal host name localhost"],
  ["https://LOCALHOST/", "internal host name localhost"],
  ["https://localhost./", "internal host name localhost"],
  ["https://localhost../", "internal host name localhost"],
  ["https://api.localhost/", "internal host name api.localhost"],
  ["https://localhost.localdomain/", "internal host name"],
  ["https://printer.local/", "internal host name printer.local"],
  ["https://printer.local./", "internal host name printer.local"],
  ["https://metadata.google.internal/computeMetadata/v1/", "internal host name metadata.google.internal"],
  ["https://metadata.google.internal./", "internal host name metadata.google.internal"],
  ["https://db.internal/", "internal host name db.internal"],
  ["https://nas.home.arpa/", "internal host name nas.home.arpa"],
  ["https://metadata/", "single-label host name metadata"],
  ["https://redis:6379/", "single-label host name redis"],
  ["https://a..b/", "malformed host name"],
];

const ACCEPTED = [
  "https://api.openai.com/v1",
  "https://1.1.1.1/v1",
  "https://8.8.8.8/",
  "https://[2606:4700:4700::1111]/v1",
  "https://example.com:8443/v1",
  "https://API.Anthropic.com/v1",
  "https://api.openai.com./v1",
  "https://openrouter.ai/api/v1",
  "https://generativelanguage.googleapis.com/v1beta/openai",
  "https://m\u00fcnchen.de/v1",
  "https://172.32.0.1/",
  "https://100.128.0.1/",
  "https://169.253.255.255/",
  "https://11.0.0.1/",
  "https://[64:ff9b::808:808]/",
  "https://[2002:808:808::1]/",
  "https://[2a00:1450:4001:82a::200e]/",
  "https://localhost.example.com/",
];

describe("checkUpstreamUrl", () => {
  it("has a broad rejection table", () => {
    expect(REJECTED.length).toBeGreaterThanOrEqual(60);
  });

  it.each(REJECTED)("rejects %s", (url, fragment) => {
    const verdict = checkUpstreamUrl(url, strict);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.reason).toContain(fragment);
  });

  it.each(ACCEPTED)("accepts %s", (url) => {
    const verdict = checkUpstreamUrl(url, strict);
    expect(verdict).toMatchObject({ ok: true });
    if (verdict.ok) expect(verdict.url.protocol).toBe("https:");
  });

  describe("trusted hosts", () => {
    const dev: SsrfPolicy = { trustedHosts: new Set(["localhost:8080", "127.0.0.1", "[::1]:11434", "host.docker.internal"]) };

    it.each(["http://localhost:8080/v1", "http://127.0.0.1:11434/v1", "http://[::1]:11434/v1", "http://host.docker.internal/v1"])(
      "accepts %s over plain http",
      (url) => expect(checkUpstreamUrl(url, dev).ok).toBe(true),
    );

    it.each([
      ["http://localhost:9090/v1", "plain http"],
      ["https://localhost:9090/v1", "internal host name localhost"],
      ["http://127.0.0.2/v1", "plain http"],
      ["https://[::1]/v1", "loopback"],
      ["http://api.openai.com/v1", "plain http"],
      ["http://user:pw@localhost:8080/v1", "credentials"],
    ])("still rejects %s", (url, fragment) => {
      const verdict = checkUpstreamUrl(url, dev);
      expect(verdict.ok).toBe(false);
      if (!verdict.ok) expect(verdict.reason).toContain(fragment);
    });
  });
});

describe("isBlockedAddress on raw spellings", () => {
  it.each([
    ["2130706433", "loopback address 127.0.0.1"],
    ["0x7f000001", "loopback address 127.0.0.1"],
    ["0177.0.0.1", "loopback address 127.0.0.1"],
    ["127.1", "loopback address 127.0.0.1"],
    ["0x7f.1", "loopback address 127.0.0.1"],
    ["127.0.0.1.", "loopback address 127.0.0.1"],
    ["10.1", "private address 10.0.0.1"],
    ["0", "unspecified address 0.0.0.0"],
    ["::1", "loopback address ::1"],
    ["[::1]", "loopback address ::1"],
    ["::FFFF:127.0.0.1", "embeds loopback address 127.0.0.1"],
    ["fe80::1%eth0", "scoped IPv6"],
    ["09.1.1.1", "ambiguous numeric host"],
    ["4294967296", "ambiguous numeric host"],
    ["1.2.3.4.5", "ambiguous numeric host"],
    ["1.256.1.1", "ambiguous numeric host"],
    ["LOCALHOST.", "internal host name localhost"],
    ["[::1", "malformed address"],
    [":::1", "malformed address"],
  ])("blocks %s", (host, fragment) => {
    expect(isBlockedAddress(host)).toContain(fragment);
  });

  it.each(["1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "[2606:4700:4700::1111]", "example.com", "api.openai.com."])(
    "allows %s",
    (host) => expect(isBlockedAddress(host)).toBeNull(),
  );
});

type Dns = Record<string, { A?: string[]; AAAA?: string[]; status?: number; http?: number; cname?: string }>;

/** A DoH JSON resolver that answers from a table and records the questions. */
function fakeDoh(zone: Dns) {
  const asked: string[] = [];
  const impl: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const name = url.searchParams.get("name") ?? "";
    const type = url.searchParams.get("type") === "AAAA" ? "AAAA" : "A";
    asked.push(`${name}/${type}`);
    expect(new Headers(init?.headers).get("accept")).toBe("application/dns-json");
    if (name === "throws.example.com") throw new TypeError("network down");
    const entry = zone[name] ?? { status: 3 };
    if (entry.http) return new Response("oops", { status: entry.http });
    const cname = entry.cname ? [{ name, type: 5, TTL: 60, data: `${entry.cname}.` }] : [];
    const records = (entry[type] ?? []).map((data) => ({ name, type: type === "A" ? 1 : 28, TTL: 60, data }));
    const body = { Status: entry.status ?? 0, Answer: [...cname, ...records] };
    return new Response(JSON.stringify(body), { headers: { "content-type": "application/dns-json" } });
  };
  return { impl, asked };
}

const ZONE: Dns = {
  "good.example.com": { A: ["93.184.216.34"], AAAA: ["2606:2800:220:1:248:1893:25c8:1946"] },
  "internal.example.com": { A: ["10.0.0.5"] },
  "dual.example.com": { A: ["93.184.216.34"], AAAA: ["::1"] },
  "alias.example.com": { cname: "good.example.com", A: ["93.184.216.34"] },
  "127.0.0.1.nip.io": { A: ["127.0.0.1"] },
  "broken.example.com": { http: 500 },
  "servfail.example.com": { status: 2 },
  "empty.example.com": {},
};

describe("checkUpstreamUrlWithDns", () => {
  const policyWith = (impl: typeof fetch): SsrfPolicy => ({
    trustedHosts: new Set(["dev.example.com"]),
    dohUrl: "https://doh.test/dns-query",
    fetch: impl,
  });

  it.each([
    ["https://internal.example.com/v1", "internal.example.com resolves to a blocked address: private address 10.0.0.5"],
    ["https://dual.example.com/v1", "loopback address ::1"],
    ["https://127.0.0.1.nip.io/v1", "loopback address 127.0.0.1"],
    ["https://nowhere.example.com/v1", "does not exist"],
    ["https://broken.example.com/v1", "HTTP 500"],
    ["https://servfail.example.com/v1", "DNS status 2"],
    ["https://throws.example.com/v1", "network down"],
    ["https://empty.example.com/v1", "no addresses"],
  ])("rejects %s", async (url, fragment) => {
    const verdict = await checkUpstreamUrlWithDns(url, policyWith(fakeDoh(ZONE).impl));
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.reason).toContain(fragment);
  });

  it("accepts a name resolving to public addresses, asking for A and AAAA", async () => {
    const doh = fakeDoh(ZONE);
    const verdict = await checkUpstreamUrlWithDns("https://good.example.com./v1", policyWith(doh.impl));
    expect(verdict.ok).toBe(true);
    expect(doh.asked.sort()).toEqual(["good.example.com/A", "good.example.com/AAAA"]);
  });

  it("follows CNAME answers to the addresses", async () => {
    expect((await checkUpstreamUrlWithDns("https://alias.example.com/", policyWith(fakeDoh(ZONE).impl))).ok).toBe(true);
  });

  it("skips DNS for IP literals, trusted hosts and syntactic rejections", async () => {
    const doh = fakeDoh(ZONE);
    const policy = policyWith(doh.impl);
    expect((await checkUpstreamUrlWithDns("https://1.1.1.1/v1", policy)).ok).toBe(true);
    expect((await checkUpstreamUrlWithDns("http://dev.example.com/v1", policy)).ok).toBe(true);
    expect((await checkUpstreamUrlWithDns("https://10.0.0.1/v1", policy)).ok).toBe(false);
    expect(doh.asked).toEqual([]);
  });

  it("is the syntactic check when no resolver is configured", async () => {
    const verdict = await checkUpstreamUrlWithDns("https://internal.example.com/v1", strict);
    expect(verdict.ok).toBe(true);
  });
});

interface Seen {
  url: string;
  method: string;
  body: string | null;
  auth: string | null;
  redirect: RequestRedirect | undefined;
}

/** An upstream that answers from a table of url → response factories and records each request. */
function fakeUpstream(routes: Record<string, () => Response>) {
  const seen: Seen[] = [];
  const impl: typeof fetch = async (input, init) => {
    const url = String(input);
    const body = typeof init?.body === "string" ? init.body : null;
    const auth = new Headers(init?.headers).get("authorization");
    seen.push({ url, method: init?.method ?? "GET", body, auth, redirect: init?.redirect });
    const route = routes[url];
    return route ? route() : new Response("not found", { status: 404 });
  };
  return { impl, seen };
}

const redirect = (location: string, status = 307) => () => new Response(null, { status, headers: { location } });
const ok = () => new Response("ok");
const post: RequestInit = { method: "POST", body: '{"model":"m"}', headers: { authorization: "Bearer sk-test" } };

describe("fetchUpstreamSafely", () => {
  it("follows a safe redirect, keeping method and body, dropping credentials across origins", async () => {
    const up = fakeUpstream({
      "https://a.example.com/v1/chat": redirect("/v2/chat", 308),
      "https://a.example.com/v2/chat": redirect("https://b.example.com/v2/chat"),
      "https://b.example.com/v2/chat": ok,
    });
    const res = await fetchUpstreamSafely("https://a.example.com/v1/chat", post, strict, up.impl);
    expect(await res.text()).toBe("ok");
    expect(up.seen.map((s) => [s.url, s.method, s.body, s.auth])).toEqual([
      ["https://a.example.com/v1/chat", "POST", '{"model":"m"}', "Bearer sk-test"],
      ["https://a.example.com/v2/chat", "POST", '{"model":"m"}', "Bearer sk-test"],
      ["https://b.example.com/v2/chat", "POST", '{"model":"m"}', null],
    ]);
    expect(up.seen.every((s) => s.redirect === "manual")).toBe(true);
  });

  it.each([
    ["https://169.254.169.254/latest/meta-data/", "cloud metadata address 169.254.169.254"],
    ["http://169.254.169.254/latest/meta-data/", "plain http"],
    ["https://0x7f000001/", "loopback address 127.0.0.1"],
    ["https://[::ffff:10.0.0.1]/", "private address 10.0.0.1"],
    ["https://localhost/", "internal host name localhost"],
    ["file:///etc/passwd", "scheme file:"],
  ])("refuses a redirect to %s", async (target, fragment) => {
    const up = fakeUpstream({ "https://a.example.com/v1": redirect(target, 302) });
    const err: unknown = await fetchUpstreamSafely("https://a.example.com/v1", {}, strict, up.impl).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsafeUpstreamError);
    if (err instanceof UnsafeUpstreamError) expect(err.reason).toContain(fragment);
    expect(up.seen).toHaveLength(1);
  });

  it("refuses a redirect whose name resolves to a private address", async () => {
    const up = fakeUpstream({ "https://a.example.com/v1": redirect("https://internal.example.com/v1") });
    const policy: SsrfPolicy = { trustedHosts: new Set(), dohUrl: "https://doh.test/q", fetch: fakeDoh(ZONE).impl };
    await expect(fetchUpstreamSafely("https://a.example.com/v1", {}, policy, up.impl)).rejects.toMatchObject({
      name: "UnsafeUpstreamError",
      reason: expect.stringContaining("private address 10.0.0.5"),
    });
  });

  it("follows at most three redirects", async () => {
    const chain = (n: number) =>
      Object.fromEntries(
        Array.from({ length: n }, (_, i) => [`https://h${i}.example.com/`, redirect(`https://h${i + 1}.example.com/`)]),
      );
    const three = fakeUpstream({ ...chain(3), "https://h3.example.com/": ok });
    expect((await fetchUpstreamSafely("https://h0.example.com/", {}, strict, three.impl)).status).toBe(200);
    const four = fakeUpstream({ ...chain(4), "https://h4.example.com/": ok });
    await expect(fetchUpstreamSafely("https://h0.example.com/", {}, strict, four.impl)).rejects.toMatchObject({
      reason: "more than 3 redirects",
    });
    expect(four.seen).toHaveLength(4);
  });

  it("turns a POST into a body-less GET on 303", async () => {
    const up = fakeUpstream({ "https://a.example.com/v1": redirect("https://a.example.com/done", 303), "https://a.example.com/done": ok });
    await fetchUpstreamSafely("https://a.example.com/v1", post, strict, up.impl);
    expect(up.seen[1]).toMatchObject({ method: "GET", body: null, auth: "Bearer sk-test" });
  });

  it("rejects an unsafe first URL without calling fetch", async () => {
    const up = fakeUpstream({});
    await expect(fetchUpstreamSafely(new URL("https://10.0.0.1/v1"), {}, strict, up.impl)).rejects.toBeInstanceOf(
      UnsafeUpstreamError,
    );
    expect(up.seen).toEqual([]);
  });

  it("hands back the 3xx when the caller asked for manual redirects", async () => {
    const up = fakeUpstream({ "https://a.example.com/v1": redirect("https://169.254.169.254/") });
    const res = await fetchUpstreamSafely("https://a.example.com/v1", { redirect: "manual" }, strict, up.impl);
    expect(res.status).toBe(307);
    expect(up.seen).toHaveLength(1);
  });

  it("passes non-redirect answers straight through", async () => {
    const up = fakeUpstream({ "https://a.example.com/v1": () => new Response("nope", { status: 500 }) });
    const res = await fetchUpstreamSafely("https://a.example.com/v1", {}, strict, up.impl);
    expect(res.status).toBe(500);
  });
});
