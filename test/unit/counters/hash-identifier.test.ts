// hashIdentifier must match the textbook SHA-256 / HMAC-SHA-256 (checked against node:crypto).
import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { hashIdentifier } from "../../../src/counters/index.ts";

const truncated = (digest: Buffer) => digest.subarray(0, 16).toString("base64url");

describe("hashIdentifier", () => {
  it("is SHA-256 truncated to 128 bits, base64url", async () => {
    for (const value of ["203.0.113.7", "2001:db8::1", "", "ünïcode"]) {
      const hash = await hashIdentifier(value);
      expect(hash).toBe(truncated(createHash("sha256").update(value, "utf8").digest()));
      expect(hash).toMatch(/^[A-Za-z0-9_-]{22}$/);
    }
  });

  it("is HMAC-SHA-256 with a pepper, and each pepper gives other hashes", async () => {
    const peppered = await hashIdentifier("203.0.113.7", "server-secret");
    expect(peppered).toBe(truncated(createHmac("sha256", "server-secret").update("203.0.113.7").digest()));
    expect(peppered).not.toBe(await hashIdentifier("203.0.113.7"));
    expect(peppered).not.toBe(await hashIdentifier("203.0.113.7", "other-secret"));
    expect(await hashIdentifier("203.0.113.7", "server-secret")).toBe(peppered);
  });

  it("gives distinct values distinct hashes", async () => {
    const hashes = await Promise.all(Array.from({ length: 1000 }, (_, i) => hashIdentifier(`10.0.${i >> 8}.${i & 255}`)));
    expect(new Set(hashes).size).toBe(1000);
  });
});
