// When to try the same target again, and how long to wait first. Full-jitter exponential backoff:
// a random wait up to an exponentially growing cap, because retries on a fixed schedule arrive
// together and turn one upstream's burst of 5xx into a storm. An upstream's own `retry-after`
// wins, up to a cap: it knows best when it will take calls again.
import type { RetryPolicy } from "../domain/target.ts";
import { RETRIABLE_STATUSES, type FailedAnswer } from "./failover.ts";

export interface Backoff {
  baseMs: number;
  maxMs: number;
  /** The longest `retry-after` honoured; a longer one moves on to the next candidate instead. */
  retryAfterCapMs: number;
  /** In [0, 1): Math.random, or a fixed sequence in tests. */
  random: () => number;
}

/** Whether a failed try of a target under `policy` may be tried again (tries made so far: `tries`). */
export function retries(policy: RetryPolicy | null, tries: number, failed: FailedAnswer): boolean {
  if (policy === null || tries >= policy.attempts) return false;
  if (failed.upstreamStatus === null) return true;
  // A 402 on the operator's key or a context too long fails the same way again: move on instead.
  if (!RETRIABLE_STATUSES.has(failed.upstreamStatus)) return false;
  return policy.onStatus === null || policy.onStatus.includes(failed.upstreamStatus);
}

/** `retry-after` as milliseconds: delay-seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterMs(value: string | null, now: number): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * The wait before try number `tries + 1`: the upstream's retry-after when it gave one (null when
 * that is longer than the cap: not worth waiting for), else full jitter.
 */
export function retryDelay(tries: number, retryAfter: string | null, b: Backoff, now: number): number | null {
  const asked = retryAfterMs(retryAfter, now);
  if (asked !== null) return asked <= b.retryAfterCapMs ? asked : null;
  const cap = Math.min(b.maxMs, b.baseMs * 2 ** (tries - 1));
  return Math.floor(b.random() * cap);
}
