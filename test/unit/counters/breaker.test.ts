// The breaker covers the health operations like the rate-limit ones: after a backend failure they
// fail fast without reaching the store, until its cooldown ends; argument mistakes never open it.
import { describe, expect, it } from "vitest";
import { withBreaker } from "../../../src/counters/breaker.ts";
import { CounterStoreError, createMemoryCounters, type CounterStore } from "../../../src/counters/index.ts";

const MINUTE = 60_000;

/** A memory store whose backend can be switched off, counting the calls that reach it. */
function flakyStore(): { store: CounterStore; down: boolean; calls: number } {
  // A fixed clock: the counts must not slide into the previous window mid-test.
  const memory = createMemoryCounters({ now: () => 10 * MINUTE });
  const state = { down: false, calls: 0, store: memory };
  const reach = <T>(run: () => Promise<T>): Promise<T> => {
    state.calls++;
    return state.down ? Promise.reject(new CounterStoreError("backend down", "backend")) : run();
  };
  state.store = {
    ...memory,
    recordCall: (key, ok, windowMs) => reach(() => memory.recordCall(key, ok, windowMs)),
    readHealth: (keys) => reach(() => memory.readHealth(keys)),
    trip: (key, cooldownMs) => reach(() => memory.trip(key, cooldownMs)),
  };
  return state;
}

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e,
  );

describe("withBreaker: health operations", () => {
  it("fail fast after a backend failure and reach the store again after the cooldown", async () => {
    let t = 0;
    const flaky = flakyStore();
    const store = withBreaker(flaky.store, { cooldownMs: 2000, now: () => t });
    await store.recordCall("route:b:0", false, MINUTE);
    flaky.down = true;
    expect(await rejection(store.readHealth([{ key: "route:b:0", windowMs: MINUTE }]))).toBeInstanceOf(CounterStoreError);
    expect(store.open).toBe(true);
    const reached = flaky.calls;
    for (const error of await Promise.all([store.recordCall("route:b:0", true, MINUTE), store.readHealth([]), store.trip("route:b:0", 1000)].map(rejection))) {
      expect(error).toMatchObject({ name: "CounterStoreError", reason: "backend" });
    }
    expect(flaky.calls).toBe(reached);

    flaky.down = false;
    t = 2000;
    expect(await store.readHealth([{ key: "route:b:0", windowMs: MINUTE }])).toEqual([{ calls: 1, errors: 1, coolingMs: 0 }]);
  });

  it("lets argument mistakes through without opening", async () => {
    const store = withBreaker(createMemoryCounters());
    expect(await rejection(store.trip("route:b:0", 0))).toBeInstanceOf(RangeError);
    expect(await rejection(store.recordCall("route:a.b:0", true, MINUTE))).toBeInstanceOf(TypeError);
    expect(store.open).toBe(false);
  });
});
