import { describe, expect, it } from "vitest";
import {
  checkUpstreamUrl,
  checkUpstreamUrlWithDns,
  fetchUpstreamSafely,
  isBlockedAddress,
  UnsafeUpstreamError,
  type SsrfPolicy,
} from "../../../src/ssrf/index.ts";
import { ACCEPTED, REJECTED } from "../../support/ssrf-table.ts";

const strict: SsrfPolicy = { trustedHosts: new Set() };

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
