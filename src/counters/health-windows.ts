// Health counts of upstream targets, shared by both stores so that memory and Upstash agree to the
// millisecond. Each target has one record of its last two windows, rolled forward as calls arrive,
// and a cooling marker:
//   `<namespace>:health:<key>`   calls and errors of the current and the previous window
//                                (a Redis hash: ms w c e pc pe), expiring two windows after its last write
//   `<namespace>:cooling:<key>`  present while the target cools down, expiring when the cooldown ends
// One record per target rather than one counter per window (as the rate limits keep) because
// trip() must forget a target's counts without being told its window size: it deletes one key.
import type { HealthCount } from "./counter-store.ts";
import { assertKey, assertWindow, counterTtlMs, weightedPrevious, windowIndex } from "./windows.ts";

export interface HealthWindows {
  /** The window size the counts were taken with: calls counted with another size start afresh. */
  windowMs: number;
  /** The window `calls` and `errors` belong to (windowIndex). */
  index: number;
  calls: number;
  errors: number;
  /** The window before `index`. */
  previousCalls: number;
  previousErrors: number;
}

export const healthKey = (namespace: string, key: string): string => `${namespace}:health:${key}`;

export const coolingKey = (namespace: string, key: string): string => `${namespace}:cooling:${key}`;

/** A record is read across two windows, like a sliding counter, so it lives as long as one. */
export const healthTtlMs = (windowMs: number): number => counterTtlMs("sliding", windowMs);

/**
 * The record as it stands in window `index`: unchanged within it, shifted by one when a window has
 * passed, empty when more have (or the window size changed). Recording counts on top of this;
 * reading weighs it. The Lua in upstash-scripts.ts (RECORD_CALL) does the same.
 */
export function rollHealth(w: HealthWindows | undefined, windowMs: number, index: number): HealthWindows {
  if (w === undefined || w.windowMs !== windowMs || w.index < index - 1) {
    return { windowMs, index, calls: 0, errors: 0, previousCalls: 0, previousErrors: 0 };
  }
  if (w.index === index - 1) return { windowMs, index, calls: 0, errors: 0, previousCalls: w.calls, previousErrors: w.errors };
  // This window, or a later one written by an isolate whose clock runs ahead: count there.
  return w;
}

/** Calls and errors in view at `now`: the previous window weighted by its overlap, as sliding limits count. */
export function healthCount(w: HealthWindows | undefined, now: number, windowMs: number, coolingMs: number): HealthCount {
  const r = rollHealth(w, windowMs, windowIndex(now, windowMs));
  return {
    calls: r.calls + weightedPrevious(r.previousCalls, now, windowMs),
    errors: r.errors + weightedPrevious(r.previousErrors, now, windowMs),
    coolingMs: Math.max(0, coolingMs),
  };
}

export function checkRecord(key: string, ok: boolean, windowMs: number): void {
  assertKey(key);
  if (typeof ok !== "boolean") throw new TypeError("ok must be a boolean");
  assertWindow(windowMs);
}

export function checkReadHealth(keys: readonly { key: string; windowMs: number }[]): void {
  if (!Array.isArray(keys)) throw new TypeError("readHealth takes an array of { key, windowMs }");
  for (const k of keys) {
    assertKey(k.key);
    assertWindow(k.windowMs);
  }
}

export function checkTrip(key: string, cooldownMs: number): void {
  assertKey(key);
  if (!Number.isSafeInteger(cooldownMs) || cooldownMs < 1) throw new RangeError("cooldownMs must be an integer >= 1");
}
