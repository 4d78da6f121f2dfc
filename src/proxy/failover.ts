// Which failures of one candidate let the request move on to the next (before the first byte has
// reached the client; after it, nothing fails over). A request that is itself wrong (other 4xx)
// would fail the same way everywhere, so it is answered at once.

/** Upstream statuses that say "not now, not here": worth another candidate, or another try. */
export const RETRIABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

export interface FailedAnswer {
  /** The upstream's own status, when it answered one. */
  upstreamStatus: number | null;
  /** The gateway's error code for it (context_length_exceeded, upstream_timeout, …). */
  code: string;
  /** Served on the operator's key (a 402 there is the operator's account, not the request). */
  operatorsKey: boolean;
  /** The upstream's retry-after, when it sent one. */
  retryAfter: string | null;
}

export function failsOver(f: FailedAnswer): boolean {
  if (f.upstreamStatus === null) return true; // unreachable, timed out, broke before its first byte
  if (RETRIABLE_STATUSES.has(f.upstreamStatus)) return true;
  if (f.upstreamStatus === 402) return f.operatorsKey;
  return f.code === "context_length_exceeded";
}

/**
 * A request too long for one candidate is worth only a candidate with a larger context window:
 * after one failed with context_length_exceeded, a later one whose known window is no larger
 * is skipped (the reason says why). Unknown windows are tried.
 */
export class ContextFloor {
  #tokens: number | null = null;
  #model = "";

  /** Remember a candidate that failed as too short (when its window is known). */
  exceeded(model: string, contextLength: number | null): void {
    if (contextLength !== null && (this.#tokens === null || contextLength > this.#tokens)) {
      this.#tokens = contextLength;
      this.#model = model;
    }
  }

  /** Why `contextLength` cannot help, or null when it may. */
  skip(contextLength: number | null): string | null {
    if (this.#tokens === null || contextLength === null || contextLength > this.#tokens) return null;
    return `Its context window (${contextLength} tokens) is no larger than that of "${this.#model}" (${this.#tokens}), which the request exceeded.`;
  }
}
