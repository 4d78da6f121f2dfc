// The counter store behind every rate limit: one small interface, two implementations with the
// same semantics (memory for a single Node process, Upstash Redis for every edge runtime).
// Each operation checks and counts in one atomic step, so concurrent requests cannot overshoot.

export type WindowKind = "sliding" | "fixed";

export interface HitOptions {
  /** Requests admitted per window (an integer >= 0; 0 refuses everything). */
  limit: number;
  windowMs: number;
  /**
   * "fixed": windows aligned to multiples of windowMs. "sliding": @upstash/ratelimit's
   * approximation — the previous window's count weighted by how much of it still overlaps.
   */
  kind: WindowKind;
}

export interface BudgetOptions {
  /** Units (tokens) per fixed window. */
  limit: number;
  windowMs: number;
}

export interface SettleOptions {
  windowMs: number;
  /** The `resetAt` the reservation returned: it names the window the reservation went into. */
  resetAt: number;
}

export interface CounterResult {
  allowed: boolean;
  limit: number;
  /** What is left in the window after this call (never negative). */
  remaining: number;
  /** End of the current fixed window, ms since the epoch (for retry-after / x-ratelimit-reset). */
  resetAt: number;
}

/** Rate limits and token budgets, and the health counts of error-rate failover (HealthStore below). */
export interface CounterStore extends HealthStore {
  /** Counts one request if it fits. A refused hit counts nothing. */
  hit(key: string, options: HitOptions): Promise<CounterResult>;
  /**
   * Reserves `amount` units (e.g. a token estimate) in the current fixed window, only if
   * used + amount <= limit. A refused reservation counts nothing; an amount above the limit is
   * always refused, so callers should clamp estimates to the limit.
   */
  reserve(key: string, amount: number, options: BudgetOptions): Promise<CounterResult>;
  /**
   * Corrects an admitted reservation once the real usage is known: adds actual - reserved to the
   * reservation's window, never taking it below 0. If that window has already ended, a refund
   * is dropped (there is nothing left to refund into) and an overrun is charged to the current
   * window, so under-estimates are never forgiven. Do not settle refused reservations.
   */
  settle(key: string, reserved: number, actual: number, options: SettleOptions): Promise<void>;
}

/**
 * The backend could not answer (unreachable, timed out, returned an error or a malformed reply).
 * Argument mistakes are TypeError/RangeError instead and never reach the backend.
 *
 * What an outage means is the caller's decision, made per limit:
 * - fail closed: answer 503 (not 429: the caller did nothing wrong) with a short retry-after.
 *   Right where abuse is the risk, e.g. anonymous per-IP limits on free models.
 * - fail open: admit and log. Right where something else still bounds the damage, e.g.
 *   authenticated per-key limits on paid models, which the credit check still guards.
 * - degrade: fall back to a per-isolate createMemoryCounters() store — approximate (each
 *   isolate counts alone) but never unlimited.
 * settle() runs after the response (waitUntil): on failure log it and move on.
 */
export class CounterStoreError extends Error {
  override readonly name = "CounterStoreError";
  constructor(
    message: string,
    readonly reason: "timeout" | "backend" | "bad_reply",
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * One target's recent calls, for error-rate failover: the current window and the one before it,
 * the older one weighted by how much of it still overlaps (as sliding rate limits count).
 */
export interface HealthCount {
  calls: number;
  errors: number;
  /** Milliseconds left of the cooldown since the target was tripped; 0 when it is not cooling down. */
  coolingMs: number;
}

/**
 * Health counts of upstream targets, shared by every isolate and instance through the same store
 * as the rate counters (Upstash in production), so that when one instance sees a provider
 * failing, all of them shift traffic away. Written off the hot path; read in one round trip.
 */
export interface HealthStore {
  /** Counts one call of `key`, succeeded or failed, in its current window of `windowMs`. */
  recordCall(key: string, ok: boolean, windowMs: number): Promise<void>;
  /** The counts of several keys, in the order given, in one round trip. */
  readHealth(keys: readonly { key: string; windowMs: number }[]): Promise<HealthCount[]>;
  /**
   * Marks `key` as failing for `cooldownMs` and forgets its counted calls, so it is judged afresh
   * (on its probe traffic) once the cooldown ends. Concurrent trips of the same key: the first wins.
   */
  trip(key: string, cooldownMs: number): Promise<void>;
}
