// The rate-limit step on the in-memory store (same semantics as Upstash; the real-Redis runs are
// in test/limits-e2e.test.ts): anonymous per-IP and shared quotas, per-key RPM and TPM, the
// 429 headers, and what an outage of the counter store does.
import { describe, expect, it, vi } from "vitest";
import type { Logger } from "../../../src/domain/runtime.ts";
import { GatewayError } from "../../../src/http/errors.ts";
import { withBreaker } from "../../../src/counters/breaker.ts";
import { CounterStoreError, createMemoryCounters, type CounterStore } from "../../../src/counters/index.ts";
import { estimatePromptTokens, estimateRequestTokens } from "../../../src/dialects/openai-chat/estimate.ts";
import { RateLimiter, rateHeaders, resetDuration, type RateLimitSettings } from "../../../src/policy/rate-limit.ts";

const HOUR = 3_600_000;
const T0 = 10 * HOUR + 1000; // just after a window boundary: sliding windows start empty

const settings = (over: Partial<RateLimitSettings> = {}): RateLimitSettings => ({
  anonIpLimit: 3,
  anonIpWindowMs: HOUR,
  anonQuota: 100,
  anonQuotaWindowMs: 24 * HOUR,
  secret: "test-rate-limit-secret-0123456789",
  ...over,
});

function logger(): Logger & { warn: ReturnType<typeof vi.fn> } {
  return { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
}

async function refusal(p: Promise<unknown>): Promise<GatewayError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof GatewayError)) throw new Error(`expected a GatewayError, got ${String(err)}`);
  return err;
}

/** A store whose backend is down: every call fails the way the Upstash store reports it. */
const downStore = (): CounterStore & { calls: number } => {
  const store = {
    calls: 0,
    async hit(): Promise<never> {
      store.calls++;
      throw new CounterStoreError("upstash unreachable", "backend");
    },
    async reserve(): Promise<never> {
      store.calls++;
      throw new CounterStoreError("upstash unreachable", "backend");
    },
    async settle(): Promise<never> {
      store.calls++;
      throw new CounterStoreError("upstash unreachable", "backend");
    },
    async recordCall(): Promise<never> {
      store.calls++;
      throw new CounterStoreError("upstash unreachable", "backend");
    },
    async readHealth(): Promise<never> {
      store.calls++;
      throw new CounterStoreError("upstash unreachable", "backend");
    },
    async trip(): Promise<never> {
      store.calls++;
      throw new CounterStoreError("upstash unreachable", "backend");
    },
  };
  return store;
};

const noWait = () => {};

describe("anonymous callers", () => {
  it("are limited per client IP, each address on its own", async () => {
    const t = T0;
    const limiter = new RateLimiter(createMemoryCounters({ now: () => t }), settings(), logger(), () => t);
    for (let i = 0; i < 3; i++) expect((await limiter.anonymous("203.0.113.7")).requests?.remaining).toBe(2 - i);
    const err = await refusal(limiter.anonymous("203.0.113.7"));
    expect(err.status).toBe(429);
    expect(err.code).toBe("rate_limited");
    expect(err.message).toContain("Sign in");
    expect(err.headers).toMatchObject({
      "retry-after": String((11 * HOUR - T0) / 1000),
      "x-ratelimit-limit-requests": "3",
      "x-ratelimit-remaining-requests": "0",
      "x-ratelimit-reset-requests": resetDuration(11 * HOUR - T0),
    });
    // Another address, and another address of the same IPv6 /64 counts as the same client.
    expect((await limiter.anonymous("198.51.100.1")).requests?.allowed).toBe(true);
    for (let i = 0; i < 3; i++) await limiter.anonymous(`2001:db8:1:2::${i + 1}`);
    expect((await refusal(limiter.anonymous("2001:db8:1:2:ffff::1"))).status).toBe(429);
  });

  it("share one anonymous quota across all addresses", async () => {
    const limiter = new RateLimiter(createMemoryCounters({ now: () => T0 }), settings({ anonIpLimit: 10, anonQuota: 4 }), logger(), () => T0);
    for (let i = 0; i < 4; i++) await limiter.anonymous(`192.0.2.${i}`);
    const err = await refusal(limiter.anonymous("192.0.2.99"));
    expect(err.status).toBe(429);
    expect(err.message).toContain("anonymous use");
  });

  it("without a known IP share one 'unknown' bucket (never unlimited)", async () => {
    const limiter = new RateLimiter(createMemoryCounters({ now: () => T0 }), settings(), logger(), () => T0);
    for (let i = 0; i < 3; i++) await limiter.anonymous(null);
    expect((await refusal(limiter.anonymous("garbage"))).status).toBe(429);
    expect((await limiter.anonymous("203.0.113.7")).requests?.allowed).toBe(true);
  });

  it("never put the raw address into a counter key", async () => {
    const keys: string[] = [];
    const memory = createMemoryCounters({ now: () => T0 });
    const spy: CounterStore = { ...memory, hit: (key, o) => (keys.push(key), memory.hit(key, o)) };
    const limiter = new RateLimiter(spy, settings(), logger(), () => T0);
    await limiter.anonymous("203.0.113.7");
    await limiter.anonymous("2001:db8:1:2::1");
    expect(keys.join(" ")).not.toMatch(/203\.0\.113\.7|2001:db8/);
    expect(keys[0]).toMatch(/^anon-ip:[A-Za-z0-9_-]{22}$/);
    // Keyed under the secret: another deployment's keys differ.
    const other: string[] = [];
    const limiter2 = new RateLimiter({ ...memory, hit: (key, o) => (other.push(key), memory.hit(key, o)) }, settings({ secret: "another-secret-0123456789abcdef" }), logger(), () => T0);
    await limiter2.anonymous("203.0.113.7");
    expect(other[0]).not.toBe(keys[0]);
  });

  it("are refused with 401 when the operator closed anonymous access (limit 0)", async () => {
    const limiter = new RateLimiter(createMemoryCounters(), settings({ anonIpLimit: 0 }), logger(), () => T0);
    expect((await refusal(limiter.anonymous("203.0.113.7"))).status).toBe(401);
  });

  it("fail CLOSED when the counter store is down: 503 with a short retry-after, logged", async () => {
    const log = logger();
    const store = downStore();
    const limiter = new RateLimiter(withBreaker(store, { now: () => T0 }), settings(), log, () => T0);
    const err = await refusal(limiter.anonymous("203.0.113.7"));
    expect(err.status).toBe(503);
    expect(err.code).toBe("rate_limiter_unavailable");
    expect(err.headers["retry-after"]).toBe("5");
    expect(log.warn).toHaveBeenCalledWith(expect.stringContaining("refusing anonymous requests"), expect.anything());
    // The breaker is open: the next request is refused without waiting on the backend again.
    expect((await refusal(limiter.anonymous("203.0.113.8"))).status).toBe(503);
    expect(store.calls).toBe(1);
  });
});

describe("signed-in callers", () => {
  it("are limited per minute by their key's RPM, with headers on success", async () => {
    const limiter = new RateLimiter(createMemoryCounters({ now: () => T0 }), settings(), logger(), () => T0);
    const subjects = [{ key: "key:k1", rpm: 2, tpm: null }];
    const first = await limiter.signedIn(subjects, () => 1, noWait);
    expect(first.requests).toMatchObject({ limit: 2, remaining: 1 });
    const headers: Record<string, string> = {};
    rateHeaders(headers, first, T0);
    expect(headers["x-ratelimit-limit-requests"]).toBe("2");
    expect(headers["x-ratelimit-remaining-requests"]).toBe("1");
    expect(headers["x-ratelimit-reset-requests"]).toMatch(/^\d+s$/);
    expect(headers["x-ratelimit-limit-tokens"]).toBeUndefined();
    await limiter.signedIn(subjects, () => 1, noWait);
    const err = await refusal(limiter.signedIn(subjects, () => 1, noWait));
    expect(err.status).toBe(429);
    expect(err.message).toContain("2 requests per minute for this API key");
    expect(Number(err.headers["retry-after"])).toBeGreaterThanOrEqual(1);
  });

  it("reserve estimated tokens atomically: concurrent requests never overshoot the TPM", async () => {
    const limiter = new RateLimiter(createMemoryCounters({ now: () => T0 }), settings(), logger(), () => T0);
    const subjects = [{ key: "key:k2", rpm: null, tpm: 1000 }];
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => limiter.signedIn(subjects, () => 300, noWait)));
    const admitted = results.filter((r) => r.status === "fulfilled");
    expect(admitted).toHaveLength(3);
    const refused = results.filter((r) => r.status === "rejected").map((r) => r.reason);
    expect(refused.every((e) => e instanceof GatewayError && e.status === 429 && e.headers["x-ratelimit-limit-tokens"] === "1000")).toBe(true);
  });

  it("settle reservations to the real usage, so unused tokens come back", async () => {
    const limiter = new RateLimiter(createMemoryCounters({ now: () => T0 }), settings(), logger(), () => T0);
    const subjects = [{ key: "key:k3", rpm: null, tpm: 1000 }];
    const a = await limiter.signedIn(subjects, () => 900, noWait);
    await expect(limiter.signedIn(subjects, () => 900, noWait)).rejects.toThrow(GatewayError);
    await limiter.settle(a.reservations[0]!, 100);
    expect((await limiter.signedIn(subjects, () => 900, noWait)).tokens).toMatchObject({ remaining: 0 });
  });

  it("clamp an estimate above the whole budget, so a big request can still run alone", async () => {
    const limiter = new RateLimiter(createMemoryCounters({ now: () => T0 }), settings(), logger(), () => T0);
    const out = await limiter.signedIn([{ key: "key:k4", rpm: null, tpm: 500 }], () => 5000, noWait);
    expect(out.reservations[0]).toMatchObject({ amount: 500 });
  });

  it("count against their organization too, and hand back a key's tokens when the org refuses", async () => {
    const store = createMemoryCounters({ now: () => T0 });
    const limiter = new RateLimiter(store, settings(), logger(), () => T0);
    const background: Promise<unknown>[] = [];
    const wait = (p: Promise<unknown>) => void background.push(p);
    const subjects = (k: string) => [
      { key: `key:${k}`, rpm: null, tpm: 1000 },
      { key: "org:acme", rpm: null, tpm: 600 },
    ];
    await limiter.signedIn(subjects("a"), () => 400, wait);
    const err = await refusal(limiter.signedIn(subjects("b"), () => 400, wait));
    expect(err.message).toContain("organization");
    await Promise.all(background);
    // Key b's 400 were refunded: it can still reserve its whole budget.
    expect((await store.reserve("key:b", 1000, { limit: 1000, windowMs: 60_000 })).allowed).toBe(true);
  });

  it("refused for their rate reserve no tokens", async () => {
    const store = createMemoryCounters({ now: () => T0 });
    const limiter = new RateLimiter(store, settings(), logger(), () => T0);
    const subjects = [{ key: "key:k5", rpm: 1, tpm: 1000 }];
    await limiter.signedIn(subjects, () => 100, noWait);
    await refusal(limiter.signedIn(subjects, () => 100, noWait));
    expect((await store.reserve("key:k5", 900, { limit: 1000, windowMs: 60_000 })).allowed).toBe(true);
  });

  it("fail OPEN when the counter store is down: admitted without limits, logged once per interval", async () => {
    const log = logger();
    let t = T0;
    const limiter = new RateLimiter(withBreaker(downStore(), { now: () => t }), settings(), log, () => t);
    const subjects = [{ key: "key:k6", rpm: 5, tpm: 1000 }];
    for (let i = 0; i < 3; i++) expect(await limiter.signedIn(subjects, () => 10, noWait)).toMatchObject({ requests: null, reservations: [] });
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(log.warn.mock.calls[0]![0]).toContain("admitting signed-in requests");
    t += 11_000;
    await limiter.signedIn(subjects, () => 10, noWait);
    expect(log.warn).toHaveBeenCalledTimes(2);
  });

  it("are not counted at all without limits", async () => {
    const store = downStore();
    const limiter = new RateLimiter(store, settings(), logger(), () => T0);
    expect(await limiter.signedIn([], () => 1, noWait)).toMatchObject({ requests: null, tokens: null });
    expect(store.calls).toBe(0);
  });
});

describe("token estimates", () => {
  it("count message text at ~4 characters per token, structured content as JSON", () => {
    expect(estimatePromptTokens([{ role: "user", content: "x".repeat(400) }])).toBe(100);
    expect(estimatePromptTokens([{ role: "user", content: [{ type: "text", text: "hello" }] }])).toBeGreaterThan(1);
    expect(estimatePromptTokens("nonsense")).toBe(1);
  });

  it("add the completion the request allows, times n", () => {
    const messages = [{ role: "user", content: "x".repeat(40) }];
    expect(estimateRequestTokens({ messages, max_tokens: 300 }, 1024)).toBe(310);
    expect(estimateRequestTokens({ messages, max_completion_tokens: 50, max_tokens: 300 }, 1024)).toBe(60);
    expect(estimateRequestTokens({ messages, max_tokens: 100, n: 3 }, 1024)).toBe(310);
    expect(estimateRequestTokens({ messages }, 1024)).toBe(1034);
    expect(estimateRequestTokens({ messages, max_tokens: -5 }, 64)).toBe(74);
  });

  it("format reset durations the way OpenAI does", () => {
    expect(resetDuration(0)).toBe("0s");
    expect(resetDuration(1500)).toBe("2s");
    expect(resetDuration(61_000)).toBe("1m1s");
    expect(resetDuration(HOUR + 2000)).toBe("1h0m2s");
  });
});
