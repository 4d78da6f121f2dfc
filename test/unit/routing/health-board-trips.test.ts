// The per-isolate health board over the memory store, on a fake clock: when it trips a target,
// how a cooling target recovers (and trips again), and how boards sharing a store see each
// other's trips.
import { describe, expect, it, vi } from "vitest";
import { createHealthBoard, effectiveWeights } from "../../../src/routing/health-board.ts";
import { background, KEY, logger, SETTINGS, setup } from "./health-board-fixtures.ts";

describe("HealthBoard", () => {
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
