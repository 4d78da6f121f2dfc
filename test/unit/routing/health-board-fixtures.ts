// Shared setup for the health board suites (health-board-*.test.ts): the memory store behind a
// spy that counts (and can hold or fail) the calls reaching it, a waitUntil that collects
// background work, and a board on a fake clock.
import { vi } from "vitest";
import { createMemoryCounters, CounterStoreError, type HealthStore } from "../../../src/counters/index.ts";
import type { Logger } from "../../../src/domain/runtime.ts";
import { createHealthBoard, type FailoverSettings } from "../../../src/routing/health-board.ts";

const T0 = Date.UTC(2031, 0, 1);
export const SETTINGS: FailoverSettings = { errorRateThreshold: 0.5, windowMs: 60_000, minRequests: 10, cooldownMs: 30_000 };
export const KEY = "route:operator:chat:0";

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
export function background() {
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

export const logger = (): Logger & { warn: ReturnType<typeof vi.fn> } => ({ info: vi.fn(), warn: vi.fn(), error: vi.fn() });

export function setup(options: { refreshMs?: number; idleMs?: number; maxKeys?: number } = {}) {
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
