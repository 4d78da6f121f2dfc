// The per-isolate health board over the memory store, on a fake clock: when it trips a target,
// how a cooling target recovers, how often it reads the store (at most once per refreshMs, never
// from view()), and what a failing store does to routing (nothing: the last snapshot stays).
import { describe, expect, it, vi } from "vitest";
import { createMemoryCounters, CounterStoreError, type HealthStore } from "../../../src/counters/index.ts";
import type { Logger } from "../../../src/domain/runtime.ts";
import { createHealthBoard, effectiveWeights, type FailoverSettings } from "../../../src/routing/health-board.ts";

const T0 = Date.UTC(2031, 0, 1);
const SETTINGS: FailoverSettings = { errorRateThreshold: 0.5, windowMs: 60_000, minRequests: 10, cooldownMs: 30_000 };
const KEY = "route:operator:chat:0";

interface Spy {
  store: HealthStore;
  calls: { recordCall: number; readHealth: number; trip: number };
  keysRead: string[][];
  tripped: string[];
  /** Calls fail as an unreachable backend's would. */
  down: boolean;
  /** Calls wait for this before reaching the store. */
  hold: Promise<void> | null;
}

/** A store that counts the calls reaching it. */
function spyStore(inner: HealthStore): Spy {
  const reach = async <T>(run: () => Promise<T>): Promise<T> => {
    if (spy.hold !== null) await spy.hold;
    if (spy.down) throw new CounterStoreError("backend down", "backend");
    return run();
  };
  const store: HealthStore = {
    recordCall(key, ok, windowMs) {
      spy.calls.recordCall++;
      return reach(() => inner.recordCall(key, ok, windowMs));
    },
    readHealth(keys) {
      spy.calls.readHealth++;
      spy.keysRead.push(keys.map((k) => k.key));
      return reach(() => inner.readHealth(keys));
    },
    trip(key, cooldownMs) {
      spy.calls.trip++;
      spy.tripped.push(key);
      return reach(() => inner.trip(key, cooldownMs));
    },
  };
  const spy: Spy = { store, calls: { recordCall: 0, readHealth: 0, trip: 0 }, keysRead: [], tripped: [], down: false, hold: null };
  return spy;
}

/** Collects background work like a platform's waitUntil, and runs it all on demand. */
function background() {
  const pending: Promise<unknown>[] = [];
  return {
    waitUntil: (p: Promise<unknown>) => void pending.push(p),
    async flush(): Promise<void> {
      while (pending.length > 0) await Promise.all(pending.splice(0));
    },
    get size() {
      return pending.length;
    },
  };
}

const logger = (): Logger & { warn: ReturnType<typeof vi.fn> } => ({ info: vi.fn(), warn: vi.fn(), error: vi.fn() });

function setup(options: { refreshMs?: number; idleMs?: number; maxKeys?: number } = {}) {
  const clock = { t: T0 };
  const now = () => clock.t;
  const memory = createMemoryCounters({ now });
  const spy = spyStore(memory);
  const log = logger();
  const board = createHealthBoard(spy.store, { logger: log, now, ...options });
  const bg = background();
  const record = async (key: string, ok: boolean, times: number) => {
    for (let i = 0; i < times; i++) board.record(key, ok, bg.waitUntil);
    await bg.flush();
  };
  const refresh = async () => {
    board.refresh(bg.waitUntil);
    await bg.flush();
  };
  return { clock, memory, spy, log, board, bg, record, refresh };
}

describe("HealthBoard", () => {
  it("answers view() from its snapshot, with no store call; unseen keys are healthy", () => {
    const { board, spy } = setup();
    board.track(KEY, SETTINGS);
    for (let i = 0; i < 1000; i++) expect(board.view(KEY)).toEqual({ state: "healthy", errorRate: 0, calls: 0, coolingMs: 0 });
    expect(board.view("route:operator:untracked:0")).toEqual({ state: "healthy", errorRate: 0, calls: 0, coolingMs: 0 });
    expect(spy.calls).toEqual({ recordCall: 0, readHealth: 0, trip: 0 });
  });

  it("refreshes at most once per refreshMs, in the background, reading every tracked key at once", async () => {
    const { board, spy, bg, clock } = setup();
    board.refresh(bg.waitUntil); // nothing tracked: nothing to read
    expect(bg.size).toBe(0);
    board.track(KEY, SETTINGS);
    board.track("route:operator:chat:1", SETTINGS);
    board.track(KEY, SETTINGS); // idempotent
    for (let i = 0; i < 5; i++) expect(board.refresh(bg.waitUntil)).toBeUndefined();
    expect(bg.size).toBe(1); // handed to waitUntil, not awaited by the caller
    await bg.flush();
    expect(spy.calls.readHealth).toBe(1);
    expect(spy.keysRead.map((keys) => [...keys].sort())).toEqual([[KEY, "route:operator:chat:1"]]);

    clock.t += 999;
    board.refresh(bg.waitUntil);
    await bg.flush();
    expect(spy.calls.readHealth).toBe(1);
    clock.t += 1;
    board.refresh(bg.waitUntil);
    await bg.flush();
    expect(spy.calls.readHealth).toBe(2);
  });

  it("does not start a refresh while the last one is still waiting for the store", async () => {
    const { board, spy, bg, clock } = setup();
    board.track(KEY, SETTINGS);
    let release = () => {};
    spy.hold = new Promise<void>((resolve) => (release = resolve));
    board.refresh(bg.waitUntil);
    await vi.waitFor(() => expect(spy.calls.readHealth).toBe(1));
    clock.t += 5000;
    board.refresh(bg.waitUntil);
    expect(bg.size).toBe(1);
    spy.hold = null;
    release();
    await bg.flush();
    board.refresh(bg.waitUntil);
    await bg.flush();
    expect(spy.calls.readHealth).toBe(2);
  });

  it("trips a target once min_requests calls are in view and errors reach the threshold, cooling it here at once", async () => {
    const { board, spy, memory, bg, clock, record, refresh } = setup();
    board.track(KEY, SETTINGS);
    await record(KEY, false, 9);
    await refresh();
    // Every call failed, but 9 calls are too few to judge.
    expect(board.view(KEY)).toEqual({ state: "healthy", errorRate: 1, calls: 9, coolingMs: 0 });

    await record(KEY, true, 1);
    clock.t += 1000;
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    // Hold the trip: the snapshot must shift before the store has answered it.
    const trip = spy.store.trip.bind(spy.store);
    spy.store.trip = async (key, cooldownMs) => {
      await held;
      return trip(key, cooldownMs);
    };
    board.refresh(bg.waitUntil);
    await vi.waitFor(() => expect(board.view(KEY).state).toBe("cooling"));
    expect(board.view(KEY)).toEqual({ state: "cooling", errorRate: 0.9, calls: 10, coolingMs: 30_000 });
    release();
    await bg.flush();
    expect(spy.tripped).toEqual([KEY]);
    // Shared with every instance: the store cools it and has forgotten its calls.
    expect(await memory.readHealth([{ key: KEY, windowMs: 60_000 }])).toEqual([{ calls: 0, errors: 0, coolingMs: 30_000 }]);

    // Read back as cooling, it is not tripped again.
    clock.t += 1000;
    await refresh();
    expect(spy.calls.trip).toBe(1);
    expect(board.view(KEY)).toEqual({ state: "cooling", errorRate: 0, calls: 0, coolingMs: 29_000 });
  });

  it("leaves a target below the threshold healthy", async () => {
    const { board, spy, record, refresh } = setup();
    board.track(KEY, SETTINGS);
    await record(KEY, false, 4);
    await record(KEY, true, 6);
    await refresh();
    expect(board.view(KEY)).toEqual({ state: "healthy", errorRate: 0.4, calls: 10, coolingMs: 0 });
    expect(spy.calls.trip).toBe(0);
  });

  it("keeps a cooling target a probe share, and gives it back its traffic after the cooldown", async () => {
    const { board, clock, record, refresh } = setup();
    const keys = [KEY, "route:operator:chat:1"];
    for (const k of keys) board.track(k, SETTINGS);
    await record(KEY, false, 10);
    await record(keys[1]!, true, 10);
    await refresh();
    const weights = () => effectiveWeights([1, 1], keys.map((k) => board.view(k)));
    expect(weights()).toEqual([0.2, 1.8]);

    // Probes during the cooldown succeed: the target is judged afresh on them.
    clock.t += 10_000;
    await record(KEY, true, 3);
    await refresh();
    expect(board.view(KEY)).toMatchObject({ state: "cooling", calls: 3, errorRate: 0, coolingMs: 20_000 });

    // The cooldown ends on the clock, before any refresh has read the store again.
    clock.t += 20_000;
    expect(board.view(KEY)).toMatchObject({ state: "healthy", coolingMs: 0 });
    expect(weights()).toEqual([1, 1]);
    await refresh();
    expect(board.view(KEY)).toEqual({ state: "healthy", errorRate: 0, calls: 3, coolingMs: 0 });
  });

  it("trips again after the cooldown when the probes keep failing", async () => {
    const { board, spy, clock, record, refresh } = setup();
    board.track(KEY, SETTINGS);
    await record(KEY, false, 10);
    await refresh();
    clock.t += 5000;
    await record(KEY, false, 10); // probes fail too
    await refresh();
    expect(spy.calls.trip).toBe(1); // still cooling: no second trip
    clock.t += 25_000;
    await refresh();
    expect(spy.calls.trip).toBe(2);
    expect(board.view(KEY)).toMatchObject({ state: "cooling", coolingMs: 30_000 });
  });

  it("sees a target another board tripped after its next refresh, and does not trip it again", async () => {
    const { board, spy, memory, clock, record, refresh } = setup();
    const other = createHealthBoard(spy.store, { logger: logger(), now: () => clock.t });
    const bg = background();
    board.track(KEY, SETTINGS);
    other.track(KEY, SETTINGS);
    other.refresh(bg.waitUntil);
    await bg.flush();
    await record(KEY, false, 10);
    await refresh();
    expect(board.view(KEY).state).toBe("cooling");
    expect(other.view(KEY).state).toBe("healthy"); // its last read came before the trip
    clock.t += 1000;
    other.refresh(bg.waitUntil);
    await bg.flush();
    expect(other.view(KEY)).toMatchObject({ state: "cooling", coolingMs: 29_000 });
    expect(spy.calls.trip).toBe(1);
    expect(await memory.readHealth([{ key: KEY, windowMs: 60_000 }])).toMatchObject([{ coolingMs: 29_000 }]);
  });

  it("keeps the last snapshot when the store fails, logging at most once per 10 s", async () => {
    const { board, spy, log, clock, record, refresh } = setup();
    board.track(KEY, SETTINGS);
    await record(KEY, false, 10);
    await refresh();
    spy.down = true;
    for (let i = 0; i < 15; i++) {
      clock.t += 1000;
      await refresh();
      expect(board.view(KEY)).toMatchObject({ state: "cooling", errorRate: 1, calls: 10 });
    }
    expect(spy.calls.readHealth).toBe(16);
    expect(log.warn).toHaveBeenCalledTimes(2); // at 1 s and at 11 s
    expect(log.warn.mock.calls[1]?.[1]).toMatchObject({ error: "backend down", suppressedSinceLast: 9 });
  });

  it("never throws into the request when recording fails, and ignores keys it does not track", async () => {
    const { board, spy, log, bg } = setup();
    board.record(KEY, false, bg.waitUntil); // untracked: no window to count in
    expect(bg.size).toBe(0);
    board.track(KEY, SETTINGS);
    spy.down = true;
    expect(() => board.record(KEY, false, bg.waitUntil)).not.toThrow();
    await expect(bg.flush()).resolves.toBeUndefined();
    spy.store.recordCall = () => {
      throw new Error("thrown, not rejected");
    };
    expect(() => board.record(KEY, false, bg.waitUntil)).not.toThrow();
    const throwing = (): never => {
      throw new Error("waitUntil outside a request");
    };
    expect(() => board.record(KEY, false, throwing)).not.toThrow();
    expect(() => board.refresh(throwing)).not.toThrow();
    await bg.flush();
    expect(log.warn).toHaveBeenCalled();
  });

  it("hashes keys the store cannot take as they are (a route named by a model id)", async () => {
    const { board, spy, record, refresh } = setup();
    const key = "route:operator:openai/gpt-4.1:0";
    board.track(key, SETTINGS);
    await record(key, false, 10);
    await refresh();
    expect(board.view(key)).toMatchObject({ state: "cooling", calls: 10 });
    const [stored] = spy.keysRead[0] ?? [];
    expect(stored).toMatch(/^hashed:[A-Za-z0-9_-]{22}$/);
    expect(spy.tripped).toEqual([stored]);
  });

  it("forgets keys not tracked for idleMs, and holds at most maxKeys", async () => {
    const { board, spy, clock, refresh } = setup({ idleMs: 60_000, maxKeys: 3 });
    for (const i of [0, 1, 2, 3]) board.track(`route:operator:r:${i}`, SETTINGS);
    expect(board.views().map((v) => v.key)).toEqual(["route:operator:r:1", "route:operator:r:2", "route:operator:r:3"]);
    clock.t += 30_000;
    board.track("route:operator:r:2", SETTINGS); // tracked again: stays
    clock.t += 30_001;
    await refresh();
    expect(spy.keysRead).toEqual([["route:operator:r:2"]]);
  });

  it("takes changed settings for a key it already tracks", async () => {
    const { board, spy, record, refresh } = setup();
    board.track(KEY, SETTINGS);
    await record(KEY, false, 5);
    board.track(KEY, { ...SETTINGS, minRequests: 5 });
    await refresh();
    expect(board.view(KEY).state).toBe("cooling");
    expect(spy.calls.trip).toBe(1);
    expect(() => board.track("route:operator:bad:0", { ...SETTINGS, errorRateThreshold: 0 })).toThrow(RangeError);
  });
});
