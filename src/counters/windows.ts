// Key layout, window arithmetic and argument checks shared by both stores, so that memory and
// Upstash agree to the millisecond. Layout: `<namespace>:<kind>:<windowMs>:<key>:<windowIndex>`,
// the same shape @upstash/ratelimit uses (`<prefix>:<identifier>:<window>`) for sliding windows.
import type { BudgetOptions, HitOptions, SettleOptions } from "./counter-store.ts";

export const DEFAULT_NAMESPACE = "eg:rl";

/** What a counter counts: request hits in either window kind, or reserved token budgets. */
export type CounterKind = "sliding" | "fixed" | "tokens";

// Colon-separated segments of URL-safe characters: fits "anon-ip:<hashIdentifier(ip)>" or
// "key:<id>", and rejects the dots of a raw IPv4 address or an e-mail by accident.
const KEY_PATTERN = /^[A-Za-z0-9_-]+(:[A-Za-z0-9_-]+)*$/;
const MAX_KEY_LENGTH = 200;

/** Expiry slack beyond a window's end, absorbing clock skew between isolates and Redis. */
const EXPIRY_SLACK_MS = 1000;

export function assertNamespace(namespace: string): void {
  if (!KEY_PATTERN.test(namespace) || namespace.length > MAX_KEY_LENGTH) {
    throw new TypeError("counter namespace must be colon-separated [A-Za-z0-9_-] segments");
  }
}

/** Whether `key` may be used as a counter key as it is (else it must be hashed first). */
export function isCounterKey(key: string): boolean {
  return typeof key === "string" && key.length <= MAX_KEY_LENGTH && KEY_PATTERN.test(key);
}

export function assertKey(key: string): void {
  if (!isCounterKey(key)) {
    throw new TypeError(
      "counter key must be colon-separated [A-Za-z0-9_-] segments of at most 200 characters; hash identifiers with hashIdentifier()",
    );
  }
}

function assertCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be an integer >= 0`);
}

export function assertWindow(windowMs: number): void {
  if (!Number.isSafeInteger(windowMs) || windowMs < 1) throw new RangeError("windowMs must be an integer >= 1");
}

export function checkHit(key: string, o: HitOptions): void {
  assertKey(key);
  assertCount("limit", o.limit);
  assertWindow(o.windowMs);
  if (o.kind !== "sliding" && o.kind !== "fixed") throw new TypeError('kind must be "sliding" or "fixed"');
}

export function checkReserve(key: string, amount: number, o: BudgetOptions): void {
  assertKey(key);
  assertCount("amount", amount);
  assertCount("limit", o.limit);
  assertWindow(o.windowMs);
}

export function checkSettle(key: string, reserved: number, actual: number, o: SettleOptions): void {
  assertKey(key);
  assertCount("reserved", reserved);
  assertCount("actual", actual);
  assertWindow(o.windowMs);
  if (!Number.isSafeInteger(o.resetAt) || o.resetAt % o.windowMs !== 0) {
    throw new RangeError("resetAt must be the resetAt of a reservation with the same windowMs");
  }
}

export const windowIndex = (now: number, windowMs: number): number => Math.floor(now / windowMs);

export const windowEnd = (index: number, windowMs: number): number => (index + 1) * windowMs;

export function counterKey(namespace: string, kind: CounterKind, windowMs: number, key: string, index: number): string {
  return `${namespace}:${kind}:${windowMs}:${key}:${index}`;
}

/** How long a counter must live: its own window (plus the next one for sliding reads). */
export function counterTtlMs(kind: CounterKind, windowMs: number): number {
  // Sliding matches @upstash/ratelimit's own expiry (window * 2 + 1000).
  return (kind === "sliding" ? 2 * windowMs : windowMs) + EXPIRY_SLACK_MS;
}

/**
 * The previous window's count still in view, as @upstash/ratelimit's sliding-window script
 * computes it: weighted by the share of the previous window that overlaps, rounded down.
 */
export function weightedPrevious(previous: number, now: number, windowMs: number): number {
  const elapsedShare = (now % windowMs) / windowMs;
  return Math.floor((1 - elapsedShare) * previous);
}

/**
 * Which counter a settle() adjusts: the reservation's own window while it lasts; once it has
 * ended, an overrun goes to the current window and a refund goes nowhere (null).
 */
export function settleTarget(now: number, delta: number, o: SettleOptions): number | null {
  const current = windowIndex(now, o.windowMs);
  if (o.resetAt > windowEnd(current, o.windowMs)) throw new RangeError("resetAt lies in a future window");
  if (delta === 0) return null;
  if (now < o.resetAt) return o.resetAt / o.windowMs - 1;
  return delta > 0 ? current : null;
}
