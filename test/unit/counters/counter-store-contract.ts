// One behavioural contract for every CounterStore: the memory and Upstash stores must give the
// same answers to the same sequence of calls. Time is driven through a faked Date, which both
// stores (and @upstash/ratelimit inside the Upstash one) read; Redis's own expiry stays real.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CounterStoreError, type CounterResult, type CounterStore } from "../../../src/counters/index.ts";
import { healthStoreContract } from "./health-store-contract.ts";

export interface OpenedStore {
  store: CounterStore;
  close(): Promise<void>;
}

const MINUTE = 60_000;
// Aligned to every window size used below, so offsets from it land where the tests say.
const T0 = Date.UTC(2031, 0, 1);
const at = (offsetMs: number) => vi.setSystemTime(T0 + offsetMs);

const allowedCount = (results: CounterResult[]) => results.filter((r) => r.allowed).length;
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

export function counterStoreContract(open: () => Promise<OpenedStore>): void {
  let opened: OpenedStore;
  let store: CounterStore;

  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: T0 });
    opened = await open();
    store = opened.store;
  });

  afterEach(async () => {
    vi.useRealTimers();
    await opened?.close();
  });

  describe("hit", () => {
    for (const kind of ["fixed", "sliding"] as const) {
      it(`${kind}: 300 concurrent hits against a limit of 200 admit exactly 200`, async () => {
        const results = await Promise.all(
          Array.from({ length: 300 }, () => store.hit("user:burst", { limit: 200, windowMs: MINUTE, kind })),
        );
        expect(allowedCount(results)).toBe(200);
        // Each admitted hit saw its own count: a lost update would repeat a value.
        const remaining = results.filter((r) => r.allowed).map((r) => r.remaining);
        expect(remaining.sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
        for (const r of results) expect(r).toMatchObject({ limit: 200, resetAt: T0 + MINUTE });
        expect(results.filter((r) => !r.allowed).every((r) => r.remaining === 0)).toBe(true);
      });
    }

    it("fixed: the window reopens exactly at resetAt", async () => {
      const opts = { limit: 3, windowMs: MINUTE, kind: "fixed" } as const;
      for (let i = 0; i < 3; i++) expect((await store.hit("user:f", opts)).allowed).toBe(true);
      at(MINUTE - 1);
      expect(await store.hit("user:f", opts)).toEqual({ allowed: false, limit: 3, remaining: 0, resetAt: T0 + MINUTE });
      at(MINUTE);
      expect(await store.hit("user:f", opts)).toEqual({ allowed: true, limit: 3, remaining: 2, resetAt: T0 + 2 * MINUTE });
    });

    it("sliding: the previous window counts in proportion to its overlap", async () => {
      const opts = { limit: 10, windowMs: MINUTE, kind: "sliding" } as const;
      at(MINUTE / 5);
      const first = await Promise.all(Array.from({ length: 10 }, () => store.hit("user:s", opts)));
      expect(allowedCount(first)).toBe(10);
      // A quarter into the next window, 3/4 of the previous 10 still count: floor(7.5) = 7.
      at(MINUTE + MINUTE / 4);
      const next = [];
      for (let i = 0; i < 5; i++) next.push(await store.hit("user:s", opts));
      expect(next.map((r) => [r.allowed, r.remaining])).toEqual([
        [true, 2],
        [true, 1],
        [true, 0],
        [false, 0],
        [false, 0],
      ]);
      expect(next[0]?.resetAt).toBe(T0 + 2 * MINUTE);
      // Two windows on, nothing of the first burst remains.
      at(3 * MINUTE);
      expect(await store.hit("user:s", opts)).toMatchObject({ allowed: true, remaining: 9 });
    });

    it("sliding: refused hits count nothing", async () => {
      const opts = { limit: 10, windowMs: MINUTE, kind: "sliding" } as const;
      const burst = await Promise.all(Array.from({ length: 30 }, () => store.hit("user:r", opts)));
      expect(allowedCount(burst)).toBe(10);
      // Half-way through the next window: floor(10 * 0.5) = 5 count, so 5 more fit. Had the
      // 20 refusals counted, floor(30 * 0.5) = 15 would leave none.
      at(MINUTE + MINUTE / 2);
      const later = await Promise.all(Array.from({ length: 10 }, () => store.hit("user:r", opts)));
      expect(allowedCount(later)).toBe(5);
    });

    it("keeps keys, window kinds and window sizes apart", async () => {
      const one = { limit: 1, windowMs: MINUTE } as const;
      expect((await store.hit("user:a", { ...one, kind: "fixed" })).allowed).toBe(true);
      expect((await store.hit("user:a", { ...one, kind: "fixed" })).allowed).toBe(false);
      expect((await store.hit("user:b", { ...one, kind: "fixed" })).allowed).toBe(true);
      expect((await store.hit("user:a", { ...one, kind: "sliding" })).allowed).toBe(true);
      expect((await store.hit("user:a", { limit: 1, windowMs: 2 * MINUTE, kind: "fixed" })).allowed).toBe(true);
      expect((await store.reserve("user:a", 1, one)).allowed).toBe(true);
    });

    it("a limit of 0 refuses everything", async () => {
      for (const kind of ["fixed", "sliding"] as const) {
        expect(await store.hit("user:zero", { limit: 0, windowMs: MINUTE, kind })).toEqual({
          allowed: false,
          limit: 0,
          remaining: 0,
          resetAt: T0 + MINUTE,
        });
      }
    });
  });

  describe("token budgets", () => {
    const budget = { limit: 1000, windowMs: MINUTE };

    it("concurrent reservations never add up past the limit", async () => {
      const amounts = Array.from({ length: 40 }, (_, i) => 10 + ((i * 37) % 90)); // 10..99, sum > 1000
      expect(sum(amounts)).toBeGreaterThan(budget.limit);
      const results = await Promise.all(amounts.map((n) => store.reserve("key:tpm", n, budget)));
      const admitted = sum(amounts.filter((_, i) => results[i]?.allowed));
      expect(admitted).toBeLessThanOrEqual(budget.limit);
      // Counts only grow here, so every refusal must still not fit on top of what was admitted.
      amounts.forEach((n, i) => {
        if (!results[i]?.allowed) expect(admitted + n).toBeGreaterThan(budget.limit);
      });
      expect(results.some((r) => !r.allowed)).toBe(true);
      expect(await store.reserve("key:tpm", budget.limit - admitted, budget)).toMatchObject({ allowed: true, remaining: 0 });
    });

    it("a refused reservation reserves nothing", async () => {
      expect(await store.reserve("key:r", 800, budget)).toEqual({ allowed: true, limit: 1000, remaining: 200, resetAt: T0 + MINUTE });
      expect(await store.reserve("key:r", 300, budget)).toEqual({ allowed: false, limit: 1000, remaining: 200, resetAt: T0 + MINUTE });
      expect(await store.reserve("key:r", 200, budget)).toMatchObject({ allowed: true, remaining: 0 });
      expect(await store.reserve("key:r", 0, budget)).toMatchObject({ allowed: true, remaining: 0 });
      expect(await store.reserve("key:big", 1001, budget)).toMatchObject({ allowed: false, remaining: 1000 });
    });

    it("settle refunds an over-estimate into the reservation's window", async () => {
      const r = await store.reserve("key:refund", 600, budget);
      at(30_000);
      await store.settle("key:refund", 600, 100, { windowMs: MINUTE, resetAt: r.resetAt });
      expect((await store.reserve("key:refund", 901, budget)).allowed).toBe(false);
      expect(await store.reserve("key:refund", 900, budget)).toMatchObject({ allowed: true, remaining: 0 });
    });

    it("settle charges an under-estimate", async () => {
      const r = await store.reserve("key:over", 100, budget);
      await store.settle("key:over", 100, 400, { windowMs: MINUTE, resetAt: r.resetAt });
      expect((await store.reserve("key:over", 601, budget)).allowed).toBe(false);
      expect(await store.reserve("key:over", 600, budget)).toMatchObject({ allowed: true, remaining: 0 });
    });

    it("settle never takes a window below zero", async () => {
      const r = await store.reserve("key:floor", 100, budget);
      await store.settle("key:floor", 500, 0, { windowMs: MINUTE, resetAt: r.resetAt });
      // At -400 this would leave 400 over; at 0 the full budget fits and nothing more.
      expect(await store.reserve("key:floor", 1000, budget)).toMatchObject({ allowed: true, remaining: 0 });
      expect((await store.reserve("key:floor", 1, budget)).allowed).toBe(false);
    });

    it("after the reservation's window ends, a refund is dropped and an overrun lands in the current window", async () => {
      const refund = await store.reserve("key:late", 500, budget);
      const overrun = await store.reserve("key:late", 100, budget);
      at(MINUTE + 10);
      expect(await store.reserve("key:late", 700, budget)).toMatchObject({ allowed: true, remaining: 300, resetAt: T0 + 2 * MINUTE });
      await store.settle("key:late", 500, 100, { windowMs: MINUTE, resetAt: refund.resetAt });
      expect((await store.reserve("key:late", 301, budget)).allowed).toBe(false);
      await store.settle("key:late", 100, 250, { windowMs: MINUTE, resetAt: overrun.resetAt });
      expect((await store.reserve("key:late", 151, budget)).allowed).toBe(false);
      expect(await store.reserve("key:late", 150, budget)).toMatchObject({ allowed: true, remaining: 0 });
    });

    it("a token window reopens at resetAt", async () => {
      expect((await store.reserve("key:w", 1000, budget)).allowed).toBe(true);
      at(MINUTE - 1);
      expect((await store.reserve("key:w", 1, budget)).allowed).toBe(false);
      at(MINUTE);
      expect(await store.reserve("key:w", 1, budget)).toMatchObject({ allowed: true, remaining: 999 });
    });
  });

  describe("health counts", () => {
    healthStoreContract(() => store, T0);
  });

  describe("arguments", () => {
    const hit = { limit: 5, windowMs: MINUTE, kind: "fixed" } as const;
    const cases: [string, () => Promise<unknown>, ErrorConstructor][] = [
      ["a raw IPv4 address as key", () => store.hit("anon-ip:203.0.113.7", hit), TypeError],
      ["an empty key", () => store.hit("", hit), TypeError],
      ["an empty key segment", () => store.hit("user::1", hit), TypeError],
      ["a negative limit", () => store.hit("k", { ...hit, limit: -1 }), RangeError],
      ["a fractional limit", () => store.hit("k", { ...hit, limit: 1.5 }), RangeError],
      ["a zero window", () => store.hit("k", { ...hit, windowMs: 0 }), RangeError],
      ["an unknown kind", () => store.hit("k", { limit: 1, windowMs: MINUTE, kind: "leaky" as "fixed" }), TypeError],
      ["a negative amount", () => store.reserve("k", -1, { limit: 5, windowMs: MINUTE }), RangeError],
      ["a fractional actual", () => store.settle("k", 1, 0.5, { windowMs: MINUTE, resetAt: T0 + MINUTE }), RangeError],
      ["a resetAt off the window grid", () => store.settle("k", 1, 2, { windowMs: MINUTE, resetAt: T0 + 1 }), RangeError],
      ["a resetAt in a future window", () => store.settle("k", 1, 2, { windowMs: MINUTE, resetAt: T0 + 2 * MINUTE }), RangeError],
    ];
    it.each(cases)("rejects %s as a programming error, not a store failure", async (_name, run, type) => {
      const error = await run().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(type);
      expect(error).not.toBeInstanceOf(CounterStoreError);
    });
  });
}
