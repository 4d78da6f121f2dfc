// In-process counters for the Node default: the same keys, windows and rules as the Upstash
// store, kept in a Map. Each operation runs synchronously inside one turn of the event loop,
// which makes check-and-count atomic without locks. Counts are per process (per isolate).
import type { BudgetOptions, CounterResult, CounterStore, HealthCount, HitOptions, SettleOptions } from "./counter-store.ts";
import { checkReadHealth, checkRecord, checkTrip, coolingKey, healthCount, healthKey, healthTtlMs, rollHealth, type HealthWindows } from "./health-windows.ts";
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
  /** Counters, health records and cooling markers held right now, expired ones included until the next sweep. */
  readonly size: number;
}

interface Expiring<T> {
  value: T;
  expiresAt: number;
}

type Counter = Expiring<number>;

export function createMemoryCounters(options: MemoryCountersOptions = {}): MemoryCounters {
  const now = options.now ?? (() => Date.now());
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  assertNamespace(namespace);
  const sweepIntervalMs = options.sweepIntervalMs ?? 10_000;
  const counters = new Map<string, Counter>();
  const health = new Map<string, Expiring<HealthWindows>>();
  const cooling = new Map<string, Expiring<true>>();
  let nextSweepAt = -Infinity;

  // A full scan at most once per interval keeps memory bounded by the keys active within
  // their windows, without a timer (timers would keep a process alive and are not needed).
  function sweep(t: number): void {
    if (t < nextSweepAt) return;
    for (const map of [counters, health, cooling]) {
      for (const [key, entry] of map) if (entry.expiresAt <= t) map.delete(key);
    }
    nextSweepAt = t + sweepIntervalMs;
  }

  /** The entry under `key` unless it has expired (then it is dropped), as Redis would answer. */
  function live<T extends { expiresAt: number }>(key: string, t: number, map: Map<string, T>): T | undefined {
    const entry = map.get(key);
    if (entry !== undefined && entry.expiresAt <= t) {
      map.delete(key);
      return undefined;
    }
    return entry;
  }

  const coolingMsAt = (key: string, t: number): number => {
    const marker = live(coolingKey(namespace, key), t, cooling);
    return marker === undefined ? 0 : marker.expiresAt - t;
  };

  /** INCRBY that sets the expiry when it creates the counter, like the Redis scripts. */
  function add(key: string, delta: number, ttlMs: number, t: number): number {
    const counter = live(key, t, counters);
    if (counter !== undefined) return (counter.value += delta);
    counters.set(key, { value: delta, expiresAt: t + ttlMs });
    return delta;
  }

  function fixedWindow(kind: CounterKind, key: string, cost: number, limit: number, windowMs: number): CounterResult {
    const t = now();
    sweep(t);
    const index = windowIndex(t, windowMs);
    const id = counterKey(namespace, kind, windowMs, key, index);
    let used = live(id, t, counters)?.value ?? 0;
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
    const current = live(currentId, t, counters)?.value ?? 0;
    const previous = weightedPrevious(live(counterKey(namespace, "sliding", windowMs, key, index - 1), t, counters)?.value ?? 0, t, windowMs);
    if (previous + current >= limit) return { allowed: false, limit, remaining: 0, resetAt };
    const used = add(currentId, 1, counterTtlMs("sliding", windowMs), t) + previous;
    return { allowed: true, limit, remaining: Math.max(0, limit - used), resetAt };
  }

  return {
    get size() {
      return counters.size + health.size + cooling.size;
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
      const counter = live(id, t, counters);
      if (counter !== undefined) counter.value = Math.max(0, counter.value + delta);
      else if (delta > 0) add(id, delta, counterTtlMs("tokens", o.windowMs), t);
    },

    async recordCall(key: string, ok: boolean, windowMs: number): Promise<void> {
      checkRecord(key, ok, windowMs);
      const t = now();
      sweep(t);
      const id = healthKey(namespace, key);
      const w = rollHealth(live(id, t, health)?.value, windowMs, windowIndex(t, windowMs));
      const value = { ...w, calls: w.calls + 1, errors: w.errors + (ok ? 0 : 1) };
      // Every write pushes the expiry out, like PEXPIRE in the script.
      health.set(id, { value, expiresAt: t + healthTtlMs(windowMs) });
    },

    async readHealth(keys: readonly { key: string; windowMs: number }[]): Promise<HealthCount[]> {
      checkReadHealth(keys);
      const t = now();
      sweep(t);
      return keys.map(({ key, windowMs }) => healthCount(live(healthKey(namespace, key), t, health)?.value, t, windowMs, coolingMsAt(key, t)));
    },

    async trip(key: string, cooldownMs: number): Promise<void> {
      checkTrip(key, cooldownMs);
      const t = now();
      sweep(t);
      if (coolingMsAt(key, t) > 0) return; // the first trip wins
      cooling.set(coolingKey(namespace, key), { value: true, expiresAt: t + cooldownMs });
      health.delete(healthKey(namespace, key));
    },
  };
}
