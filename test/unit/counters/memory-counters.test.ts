// The in-process store: the shared contract, its injectable clock, and bounded memory.
import { describe, expect, it } from "vitest";
import { createMemoryCounters } from "../../../src/counters/index.ts";
import { counterStoreContract } from "./counter-store-contract.ts";

describe("memory counters: contract", () => {
  counterStoreContract(async () => ({ store: createMemoryCounters(), close: async () => {} }));
});

describe("memory counters", () => {
  const MINUTE = 60_000;

  it("reads time from the injected clock", async () => {
    let t = 5 * MINUTE + 1;
    const store = createMemoryCounters({ now: () => t });
    const opts = { limit: 1, windowMs: MINUTE, kind: "fixed" } as const;
    expect(await store.hit("user:1", opts)).toEqual({ allowed: true, limit: 1, remaining: 0, resetAt: 6 * MINUTE });
    expect((await store.hit("user:1", opts)).allowed).toBe(false);
    t = 6 * MINUTE;
    expect((await store.hit("user:1", opts)).allowed).toBe(true);
  });

  it("forgets expired windows, so memory stays bounded by the active keys", async () => {
    let t = 0;
    const store = createMemoryCounters({ now: () => t, sweepIntervalMs: 1000 });
    for (let i = 0; i < 1000; i++) {
      await store.hit(`ip:${i}`, { limit: 5, windowMs: MINUTE, kind: "sliding" });
      await store.reserve(`key:${i}`, 10, { limit: 100, windowMs: MINUTE });
    }
    expect(store.size).toBe(2000);
    // Still inside the sliding counters' lifetime (two windows): only token windows go.
    t = MINUTE + 1000;
    await store.hit("ip:new", { limit: 5, windowMs: MINUTE, kind: "sliding" });
    expect(store.size).toBe(1001);
    t = 2 * MINUTE + 1000;
    await store.hit("ip:newer", { limit: 5, windowMs: MINUTE, kind: "sliding" });
    expect(store.size).toBe(2);
  });

  it("sweeps expired windows at most once per interval", async () => {
    let t = 0;
    const store = createMemoryCounters({ now: () => t, sweepIntervalMs: 10 * MINUTE });
    const opts = { limit: 1, windowMs: 1000, kind: "fixed" } as const;
    await store.hit("user:a", opts);
    await store.hit("user:b", opts);
    t = 5000; // both windows are over, but the next sweep is not due yet
    expect(await store.hit("user:a", opts)).toMatchObject({ allowed: true, resetAt: 6000 });
    expect(store.size).toBe(3);
    t = 10 * MINUTE;
    await store.hit("user:c", opts);
    expect(store.size).toBe(1);
  });

  it("forgets health records two windows after their last call, and cooling markers when they end", async () => {
    let t = 0;
    const store = createMemoryCounters({ now: () => t, sweepIntervalMs: 1000 });
    for (let i = 0; i < 10; i++) await store.recordCall(`route:r:${i}`, i % 2 === 0, MINUTE);
    await store.trip("route:r:0", 5000); // its record goes, its marker comes
    expect(store.size).toBe(10);
    t = 5000;
    expect(await store.readHealth([{ key: "route:r:1", windowMs: MINUTE }])).toEqual([{ calls: 1, errors: 1, coolingMs: 0 }]);
    expect(store.size).toBe(9);
    t = 2 * MINUTE + 1000;
    await store.readHealth([]);
    expect(store.size).toBe(0);
  });

  it("rejects a malformed namespace", () => {
    expect(() => createMemoryCounters({ namespace: "eg rl" })).toThrow(TypeError);
    expect(() => createMemoryCounters({ namespace: "eg:rl:test" })).not.toThrow();
  });
});
