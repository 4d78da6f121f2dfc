// Error-rate failover, as one isolate sees it. The counts live in the shared counter store, so
// every isolate and instance judges a target on the same calls; but routing never waits for the
// store: view() answers from a per-isolate snapshot, calls are recorded in the background
// (waitUntil), and the snapshot is refreshed in the background at most once per refreshMs, one
// readHealth round trip for every tracked key. A refresh that finds a target failing trips it in
// the store (every instance then sees it cooling on its next refresh) and marks it here at once.
import { hashIdentifier, isCounterKey, type HealthStore } from "../counters/index.ts";
import type { Logger, WaitUntil } from "../domain/runtime.ts";
import type { HealthView } from "./health-weights.ts";

export { effectiveWeights, leastBadFirst, PROBE_SHARE, type HealthView } from "./health-weights.ts";

/** A route's `failover`, in milliseconds. */
export interface FailoverSettings {
  /** Trip at errors / calls >= this (0 < threshold <= 1). */
  errorRateThreshold: number;
  windowMs: number;
  /** Calls in view before the rate is trusted. */
  minRequests: number;
  cooldownMs: number;
}

export interface HealthBoard {
  /** Registers `key` with its route's settings (later settings replace earlier ones). Cheap; call per request. */
  track(key: string, settings: FailoverSettings): void;
  /** Counts one call of a tracked key in the background; an untracked key is ignored. Never throws. */
  record(key: string, ok: boolean, waitUntil: WaitUntil): void;
  /** Starts a background refresh of the snapshot unless one ran within refreshMs or is running. Never throws. */
  refresh(waitUntil: WaitUntil): void;
  /** The key's health from the snapshot (healthy until a refresh has seen it). No store call. */
  view(key: string): HealthView;
  /** Every tracked key's view, for health reports. */
  views(): { key: string; view: HealthView }[];
}

export interface HealthBoardOptions {
  logger: Logger;
  /** Clock in ms since the epoch; defaults to Date.now. */
  now?: () => number;
  /** Least time between two refreshes (default 1000 ms). */
  refreshMs?: number;
  /** A key not tracked for this long is forgotten (default 10 min): routes come and go. */
  idleMs?: number;
  /** Keys tracked at most; the least recently tracked go first (default 1000). */
  maxKeys?: number;
}

interface Seen {
  calls: number;
  errors: number;
  /** Clock time the cooldown ends (in the past when not cooling). */
  coolingUntil: number;
}

interface Tracked {
  settings: FailoverSettings;
  /** The key as the store takes it: as it is when it fits, else hashed (route names may hold "/" or "."). */
  storeKey: Promise<string>;
  trackedAt: number;
  seen: Seen | null;
}

/** Failures are logged at most this often per kind; the store may be down for minutes. */
const LOG_EVERY_MS = 10_000;

function checkSettings(s: FailoverSettings): void {
  const ms = (v: number) => Number.isSafeInteger(v) && v >= 1;
  if (!(s.errorRateThreshold > 0 && s.errorRateThreshold <= 1)) throw new RangeError("errorRateThreshold must be in (0, 1]");
  if (!ms(s.windowMs) || !ms(s.cooldownMs) || !ms(s.minRequests)) throw new RangeError("windowMs, minRequests and cooldownMs must be integers >= 1");
}

const sameSettings = (a: FailoverSettings, b: FailoverSettings): boolean =>
  a.errorRateThreshold === b.errorRateThreshold && a.windowMs === b.windowMs && a.minRequests === b.minRequests && a.cooldownMs === b.cooldownMs;

function storeKeyOf(key: string): Promise<string> {
  if (isCounterKey(key)) return Promise.resolve(key);
  const hashed = hashIdentifier(key).then((h) => `hashed:${h}`);
  hashed.catch(() => {}); // awaited (and reported) where it is used
  return hashed;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export function createHealthBoard(store: HealthStore, options: HealthBoardOptions): HealthBoard {
  const { logger } = options;
  const now = options.now ?? (() => Date.now());
  const refreshMs = options.refreshMs ?? 1000;
  const idleMs = options.idleMs ?? 10 * 60_000;
  const maxKeys = options.maxKeys ?? 1000;
  // Insertion order is tracking order (track() re-inserts), so the least recently tracked come first.
  const tracked = new Map<string, Tracked>();
  const lastLogged = new Map<string, { at: number; suppressed: number }>();
  let nextRefreshAt = -Infinity;
  let refreshing = false;

  function warn(kind: "record" | "refresh" | "trip", error: unknown): void {
    const t = now();
    const last = lastLogged.get(kind);
    if (last !== undefined && t - last.at < LOG_EVERY_MS) {
      last.suppressed++;
      return;
    }
    lastLogged.set(kind, { at: t, suppressed: 0 });
    logger.warn(`health ${kind} failed; routing goes on with the last snapshot`, { error: messageOf(error), suppressedSinceLast: last?.suppressed ?? 0 });
  }

  function forgetIdle(t: number): void {
    for (const [key, entry] of tracked) {
      if (t - entry.trackedAt <= idleMs) break; // the rest were tracked later
      tracked.delete(key);
    }
  }

  /** Reads every tracked key in one round trip and trips the failing ones. Never rejects. */
  async function pull(): Promise<void> {
    forgetIdle(now());
    try {
      const entries = await Promise.all([...tracked.values()].map(async (entry) => ({ entry, key: await entry.storeKey })));
      const counts = await store.readHealth(entries.map(({ entry, key }) => ({ key, windowMs: entry.settings.windowMs })));
      const at = now();
      const trips: Promise<void>[] = [];
      entries.forEach(({ entry, key }, i) => {
        const c = counts[i];
        if (c === undefined) return;
        const seen: Seen = { calls: c.calls, errors: c.errors, coolingUntil: at + c.coolingMs };
        const { errorRateThreshold, minRequests, cooldownMs } = entry.settings;
        if (c.coolingMs === 0 && c.calls >= minRequests && c.errors / c.calls >= errorRateThreshold) {
          // Shift this isolate's traffic now; the other instances follow once the trip lands.
          seen.coolingUntil = at + cooldownMs;
          trips.push(store.trip(key, cooldownMs).catch((error: unknown) => warn("trip", error)));
        }
        entry.seen = seen;
      });
      await Promise.all(trips);
    } catch (error) {
      warn("refresh", error);
    }
  }

  function view(key: string): HealthView {
    const seen = tracked.get(key)?.seen;
    if (seen === undefined || seen === null) return { state: "healthy", errorRate: 0, calls: 0, coolingMs: 0 };
    const coolingMs = Math.max(0, seen.coolingUntil - now());
    return { state: coolingMs > 0 ? "cooling" : "healthy", errorRate: seen.calls > 0 ? seen.errors / seen.calls : 0, calls: seen.calls, coolingMs };
  }

  return {
    track(key: string, settings: FailoverSettings): void {
      const t = now();
      const entry = tracked.get(key);
      if (entry !== undefined) {
        tracked.delete(key);
        if (!sameSettings(entry.settings, settings)) {
          checkSettings(settings);
          entry.settings = { ...settings };
        }
        entry.trackedAt = t;
        tracked.set(key, entry);
        return;
      }
      checkSettings(settings);
      if (tracked.size >= maxKeys) {
        const oldest = tracked.keys().next();
        if (oldest.done !== true) tracked.delete(oldest.value);
      }
      tracked.set(key, { settings: { ...settings }, storeKey: storeKeyOf(key), trackedAt: t, seen: null });
    },

    record(key: string, ok: boolean, waitUntil: WaitUntil): void {
      try {
        const entry = tracked.get(key);
        if (entry === undefined) return; // no settings, so no window to count in
        const { windowMs } = entry.settings;
        waitUntil(entry.storeKey.then((k) => store.recordCall(k, ok, windowMs)).catch((error: unknown) => warn("record", error)));
      } catch (error) {
        warn("record", error);
      }
    },

    refresh(waitUntil: WaitUntil): void {
      const t = now();
      if (refreshing || t < nextRefreshAt || tracked.size === 0) return;
      nextRefreshAt = t + refreshMs;
      refreshing = true;
      const run = pull().finally(() => {
        refreshing = false;
      });
      try {
        waitUntil(run);
      } catch (error) {
        warn("refresh", error);
      }
    },

    view,

    views(): { key: string; view: HealthView }[] {
      return [...tracked.keys()].map((key) => ({ key, view: view(key) }));
    },
  };
}
