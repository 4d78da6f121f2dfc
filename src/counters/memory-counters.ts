// In-process counters for the Node default: the same keys, windows and rules as the Upstash
// store, kept in a Map. Each operation runs synchronously inside one turn of the event loop,
// which makes check-and-count atomic without locks. Counts are per process (per isolate).
import type { BudgetOptions, CounterResult, CounterStore, HitOptions, SettleOptions } from "./counter-store.ts";
import {
  assertNamespace,
  checkHit,
  checkReserve,
  checkSettle,
  counterKey,
  counterTtlMs,
  DEFAULT_NAMESPACE,
  settleTarget,
  weightedPrevious,
  windowEnd,
  windowIndex,
  type CounterKind,
} from "./windows.ts";

export interface MemoryCountersOptions {
  /** Clock in ms since the epoch; defaults to Date.now. */
  now?: () => number;
  namespace?: string;
  /** Expired counters are dropped lazily and by a sweep at most this often (default 10 s). */
  sweepIntervalMs?: number;
}

export interface MemoryCounters extends CounterStore {
  /** Counters held right now, expired ones included until the next sweep. */
  readonly size: number;
}

interface Counter {
  value: number;
  expiresAt: number;
}

export function createMemoryCounters(options: MemoryCountersOptions = {}): MemoryCounters {
  const now = options.now ?? (() => Date.now());
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  assertNamespace(namespace);
  const sweepIntervalMs = options.sweepIntervalMs ?? 10_000;
  const counters = new Map<string, Counter>();
  let nextSweepAt = -Infinity;

  // A full scan at most once per interval keeps memory bounded by the keys active within
  // their windows, without a timer (timers would keep a process alive and are not needed).
  function sweep(t: number): void {
    if (t < nextSweepAt) return;
    for (const [key, counter] of counters) if (counter.expiresAt <= t) counters.delete(key);
    nextSweepAt = t + sweepIntervalMs;
  }

  function live(key: string, t: number): Counter | undefined {
    const counter = counters.get(key);
    if (counter !== undefined && counter.expiresAt <= t) {
      counters.delete(key);
      return undefined;
    }
    return counter;
  }

  /** INCRBY that sets the expiry when it creates the counter, like the Redis scripts. */
  function add(key: string, delta: number, ttlMs: number, t: number): number {
    const counter = live(key, t);
    if (counter !== undefined) return (counter.value += delta);
    counters.set(key, { value: delta, expiresAt: t + ttlMs });
    return delta;
  }

  function fixedWindow(kind: CounterKind, key: string, cost: number, limit: number, windowMs: number): CounterResult {
    const t = now();
    sweep(t);
    const index = windowIndex(t, windowMs);
    const id = counterKey(namespace, kind, windowMs, key, index);
    let used = live(id, t)?.value ?? 0;
    const allowed = used + cost <= limit;
    if (allowed && cost > 0) used = add(id, cost, counterTtlMs(kind, windowMs), t);
    return { allowed, limit, remaining: Math.max(0, limit - used), resetAt: windowEnd(index, windowMs) };
  }

  function slidingWindow(key: string, limit: number, windowMs: number): CounterResult {
    const t = now();
    sweep(t);
    const index = windowIndex(t, windowMs);
    const resetAt = windowEnd(index, windowMs);
    const currentId = counterKey(namespace, "sliding", windowMs, key, index);
    const current = live(currentId, t)?.value ?? 0;
    const previous = weightedPrevious(live(counterKey(namespace, "sliding", windowMs, key, index - 1), t)?.value ?? 0, t, windowMs);
    if (previous + current >= limit) return { allowed: false, limit, remaining: 0, resetAt };
    const used = add(currentId, 1, counterTtlMs("sliding", windowMs), t) + previous;
    return { allowed: true, limit, remaining: Math.max(0, limit - used), resetAt };
  }

  return {
    get size() {
      return counters.size;
    },

    async hit(key: string, o: HitOptions): Promise<CounterResult> {
      checkHit(key, o);
      return o.kind === "sliding" ? slidingWindow(key, o.limit, o.windowMs) : fixedWindow("fixed", key, 1, o.limit, o.windowMs);
    },

    async reserve(key: string, amount: number, o: BudgetOptions): Promise<CounterResult> {
      checkReserve(key, amount, o);
      return fixedWindow("tokens", key, amount, o.limit, o.windowMs);
    },

    async settle(key: string, reserved: number, actual: number, o: SettleOptions): Promise<void> {
      checkSettle(key, reserved, actual, o);
      const t = now();
      sweep(t);
      const delta = actual - reserved;
      const index = settleTarget(t, delta, o);
      if (index === null) return;
      const id = counterKey(namespace, "tokens", o.windowMs, key, index);
      const counter = live(id, t);
      if (counter !== undefined) counter.value = Math.max(0, counter.value + delta);
      else if (delta > 0) add(id, delta, counterTtlMs("tokens", o.windowMs), t);
    },
  };
}
