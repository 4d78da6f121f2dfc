// The per-isolate health board over the memory store, on a fake clock: how often it reads the
// store (at most once per refreshMs, never from view()), what a failing store does to routing
// (nothing: the last snapshot stays), and which keys it tracks and how it names them there.
import { describe, expect, it, vi } from "vitest";
import { KEY, SETTINGS, setup } from "./health-board-fixtures.ts";

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

});
