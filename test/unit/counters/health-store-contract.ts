// The health half of the store contract (error-rate failover): the memory and Upstash stores must
// count, weigh, trip and cool down alike. Windows follow the faked Date; a cooldown in Redis ends
// in real time, so those cases also really wait (with short cooldowns).
import { expect, it, vi } from "vitest";
import { CounterStoreError, type HealthCount, type HealthStore } from "../../../src/counters/index.ts";

const W = 60_000;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `t0` must be aligned to W; the caller's beforeEach fakes Date and sets it to t0. */
export function healthStoreContract(get: () => HealthStore, t0: number): void {
  const at = (offsetMs: number) => vi.setSystemTime(t0 + offsetMs);
  const read = async (key: string, windowMs = W): Promise<HealthCount | undefined> => (await get().readHealth([{ key, windowMs }]))[0];
  const record = async (key: string, ok: boolean, times: number, windowMs = W) => {
    for (let i = 0; i < times; i++) await get().recordCall(key, ok, windowMs);
  };

  it("counts calls and errors in the current window; an unknown key has none", async () => {
    await record("route:a:0", true, 3);
    await record("route:a:0", false, 2);
    expect(await read("route:a:0")).toEqual({ calls: 5, errors: 2, coolingMs: 0 });
    expect(await read("route:unknown:0")).toEqual({ calls: 0, errors: 0, coolingMs: 0 });
  });

  it("counts every one of 400 concurrent calls", async () => {
    await Promise.all(Array.from({ length: 400 }, (_, i) => get().recordCall("route:burst:0", i % 4 !== 0, W)));
    expect(await read("route:burst:0")).toEqual({ calls: 400, errors: 100, coolingMs: 0 });
  });

  it("weighs the previous window by its overlap, as sliding limits do", async () => {
    at(W / 5);
    await record("route:s:0", true, 6);
    await record("route:s:0", false, 4);
    // A quarter into the next window 3/4 of the previous one counts: floor(7.5) = 7, floor(3) = 3.
    at(W + W / 4);
    expect(await read("route:s:0")).toEqual({ calls: 7, errors: 3, coolingMs: 0 });
    await record("route:s:0", false, 1);
    expect(await read("route:s:0")).toEqual({ calls: 8, errors: 4, coolingMs: 0 });
    // One more window on, only the call of the second window is in view, and in full.
    at(2 * W);
    expect(await read("route:s:0")).toEqual({ calls: 1, errors: 1, coolingMs: 0 });
    at(3 * W);
    expect(await read("route:s:0")).toEqual({ calls: 0, errors: 0, coolingMs: 0 });
  });

  it("reads several keys in the order given, each in its own window size", async () => {
    await record("route:a:0", true, 2);
    await record("route:b:0", false, 1, 2 * W);
    const counts = await get().readHealth([
      { key: "route:b:0", windowMs: 2 * W },
      { key: "route:none:0", windowMs: W },
      { key: "route:a:0", windowMs: W },
    ]);
    expect(counts).toEqual([
      { calls: 1, errors: 1, coolingMs: 0 },
      { calls: 0, errors: 0, coolingMs: 0 },
      { calls: 2, errors: 0, coolingMs: 0 },
    ]);
    expect(await get().readHealth([])).toEqual([]);
  });

  it("starts afresh when the window size changes (a route's failover was edited)", async () => {
    await record("route:edit:0", false, 3);
    expect(await read("route:edit:0", 2 * W)).toEqual({ calls: 0, errors: 0, coolingMs: 0 });
    await record("route:edit:0", true, 1, 2 * W);
    expect(await read("route:edit:0", 2 * W)).toEqual({ calls: 1, errors: 0, coolingMs: 0 });
    expect(await read("route:edit:0")).toEqual({ calls: 0, errors: 0, coolingMs: 0 });
  });

  it("trip starts a cooldown and forgets the counted calls; calls during it are counted afresh", async () => {
    await record("route:t:0", false, 10);
    await get().trip("route:t:0", 5000);
    const tripped = await read("route:t:0");
    expect(tripped).toMatchObject({ calls: 0, errors: 0 });
    expect(tripped?.coolingMs).toBeGreaterThan(4000);
    expect(tripped?.coolingMs).toBeLessThanOrEqual(5000);
    await record("route:t:0", true, 1); // a probe
    expect(await read("route:t:0")).toMatchObject({ calls: 1, errors: 0 });
    // The marker is per key: the others are untouched.
    expect(await read("route:other:0")).toEqual({ calls: 0, errors: 0, coolingMs: 0 });
  });

  it("the first trip wins: a later one neither extends the cooldown nor forgets the probes", async () => {
    await get().trip("route:twice:0", 5000);
    await record("route:twice:0", false, 2);
    await get().trip("route:twice:0", 60_000);
    const count = await read("route:twice:0");
    expect(count).toMatchObject({ calls: 2, errors: 2 });
    expect(count?.coolingMs).toBeLessThanOrEqual(5000);
  });

  it("concurrent trips and calls: one cooldown, no call lost after it", async () => {
    await Promise.all(Array.from({ length: 20 }, () => get().trip("route:race:0", 5000)));
    await Promise.all(Array.from({ length: 50 }, () => get().recordCall("route:race:0", false, W)));
    await Promise.all(Array.from({ length: 20 }, () => get().trip("route:race:0", 5000)));
    expect(await read("route:race:0")).toMatchObject({ calls: 50, errors: 50 });
  });

  it("the cooldown ends on time, keeping the calls counted since the trip", async () => {
    await record("route:end:0", false, 5);
    await get().trip("route:end:0", 300);
    await record("route:end:0", true, 2);
    await pause(350); // Redis expires the marker in real time,
    at(350); // the memory store on its (faked) clock
    expect(await read("route:end:0")).toEqual({ calls: 2, errors: 0, coolingMs: 0 });
    await get().trip("route:end:0", 5000); // and it can be tripped again
    expect((await read("route:end:0"))?.coolingMs).toBeGreaterThan(0);
  });

  const cases: [string, () => Promise<unknown>, ErrorConstructor][] = [
    ["a key with a dot", () => get().recordCall("route:gpt-4.1:0", true, W), TypeError],
    ["a non-boolean outcome", () => get().recordCall("route:a:0", "yes" as unknown as boolean, W), TypeError],
    ["a zero window", () => get().recordCall("route:a:0", true, 0), RangeError],
    ["a fractional window", () => get().readHealth([{ key: "route:a:0", windowMs: 1.5 }]), RangeError],
    ["an empty key to read", () => get().readHealth([{ key: "", windowMs: W }]), TypeError],
    ["a zero cooldown", () => get().trip("route:a:0", 0), RangeError],
    ["a key with a slash to trip", () => get().trip("route:openai/gpt:0", 1000), TypeError],
  ];
  it.each(cases)("rejects %s as a programming error, not a store failure", async (_name, run, type) => {
    const error = await run().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(type);
    expect(error).not.toBeInstanceOf(CounterStoreError);
  });
}
