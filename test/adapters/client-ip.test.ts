// Where the client IP comes from on each platform, and what one "client" is for rate limits.
import { describe, expect, it } from "vitest";
import { cloudflareClientIp } from "../../adapters/cloudflare/client-ip.ts";
import { vercelClientIp } from "../../adapters/vercel/client-ip.ts";
import { rateLimitSubject } from "../../src/policy/client-ip.ts";

const req = (headers: Record<string, string>) => new Request("http://gateway/v1/chat/completions", { headers });

describe("client IP sources", () => {
  it("Cloudflare: CF-Connecting-IP only (x-forwarded-for is the client's to forge)", () => {
    expect(cloudflareClientIp(req({ "cf-connecting-ip": "203.0.113.7", "x-forwarded-for": "1.2.3.4" }))).toBe("203.0.113.7");
    expect(cloudflareClientIp(req({ "x-forwarded-for": "1.2.3.4", "x-real-ip": "1.2.3.4" }))).toBeNull();
  });

  it("Vercel: x-real-ip, else the first x-forwarded-for entry (both set by the platform)", () => {
    expect(vercelClientIp(req({ "x-real-ip": "203.0.113.7", "x-forwarded-for": "198.51.100.1" }))).toBe("203.0.113.7");
    expect(vercelClientIp(req({ "x-forwarded-for": " 198.51.100.1 , 10.0.0.1" }))).toBe("198.51.100.1");
    expect(vercelClientIp(req({}))).toBeNull();
  });
});

describe("rate-limit subject", () => {
  it.each([
    ["203.0.113.7", "203.0.113.7"],
    [" 203.0.113.7 ", "203.0.113.7"],
    // Node reports IPv4 peers of a dual-stack socket as IPv4-mapped IPv6.
    ["::ffff:127.0.0.1", "127.0.0.1"],
    ["::ffff:7f00:1", "127.0.0.1"],
    // One IPv6 subscriber holds a /64: every address in it is one client.
    ["2001:db8:aa:bb:1:2:3:4", "2001:db8:aa:bb::/64"],
    ["2001:db8:aa:bb::99", "2001:db8:aa:bb::/64"],
    ["[2001:DB8:AA:BB::1]", "2001:db8:aa:bb::/64"],
    ["::1", "0:0:0:0::/64"],
  ])("%s -> %s", (raw, subject) => {
    expect(rateLimitSubject(raw)).toBe(subject);
  });

  it.each([null, "", "unknown", "999.1.1.1", "1.2.3", "evil.example", "1.2.3.4, 5.6.7.8"])("%s is no subject (shared unknown bucket)", (raw) => {
    expect(rateLimitSubject(raw)).toBeNull();
  });
});
