// A counter store that stops calling its backend for a moment once it has failed. During an
// outage every call would otherwise wait out the backend's deadline (1 s for Upstash) before
// the caller's fail-open or fail-closed rule applies; with the breaker open it applies at once.
import {
  CounterStoreError,
  type BudgetOptions,
  type CounterResult,
  type CounterStore,
  type HealthCount,
  type HitOptions,
  type SettleOptions,
} from "./counter-store.ts";

export interface BreakerOptions {
  /** How long after a failure calls fail fast without reaching the backend (default 2 s). */
  cooldownMs?: number;
  now?: () => number;
}

export interface BreakerCounters extends CounterStore {
  /** True while calls fail fast. */
  readonly open: boolean;
}

export function withBreaker(store: CounterStore, opts: BreakerOptions = {}): BreakerCounters {
  const cooldownMs = opts.cooldownMs ?? 2000;
  const now = opts.now ?? Date.now;
  let openUntil = -Infinity;

  // Argument mistakes (TypeError, RangeError) are the caller's bug, not an outage: they pass
  // through without opening the breaker.
  const fail = (err: unknown): never => {
    if (err instanceof CounterStoreError) openUntil = now() + cooldownMs;
    throw err;
  };
  const fastFail = () => Promise.reject(new CounterStoreError("counter store unavailable (recent failure; not retried yet)", "backend"));
  // On the hot path (breaker closed) this adds one comparison and one `then`, no closure.
  const isOpen = () => openUntil !== -Infinity && now() < openUntil;

  return {
    get open() {
      return isOpen();
    },
    hit: (key: string, o: HitOptions): Promise<CounterResult> => (isOpen() ? fastFail() : store.hit(key, o).then(undefined, fail)),
    reserve: (key: string, amount: number, o: BudgetOptions): Promise<CounterResult> => (isOpen() ? fastFail() : store.reserve(key, amount, o).then(undefined, fail)),
    settle: (key: string, reserved: number, actual: number, o: SettleOptions): Promise<void> =>
      isOpen() ? fastFail() : store.settle(key, reserved, actual, o).then(undefined, fail),
    recordCall: (key: string, ok: boolean, windowMs: number): Promise<void> =>
      isOpen() ? fastFail() : store.recordCall(key, ok, windowMs).then(undefined, fail),
    readHealth: (keys: readonly { key: string; windowMs: number }[]): Promise<HealthCount[]> =>
      isOpen() ? fastFail() : store.readHealth(keys).then(undefined, fail),
    trip: (key: string, cooldownMs: number): Promise<void> => (isOpen() ? fastFail() : store.trip(key, cooldownMs).then(undefined, fail)),
  };
}
