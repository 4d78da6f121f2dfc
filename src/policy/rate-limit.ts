// Pipeline step "rate limit": every check counts in one atomic counter-store call (never read,
// then increment), before the upstream is called.
//
// What a counter-store outage means, decided per kind of caller:
// - anonymous callers (free models): fail CLOSED with 503 and a short retry-after. Nothing else
//   bounds anonymous use, and free models still cost the operator.
// - signed-in callers: fail OPEN, logged. Paid models stay bounded by the credit check, and an
//   outage of the limiter should not take paying customers down with it.
// A breaker (src/counters/breaker.ts) makes either answer immediate while the store is down.
import { GatewayError } from "../http/errors.ts";
import { rateLimitSubject } from "./client-ip.ts";
import type { Reservation } from "../domain/outcome.ts";
import type { Logger, WaitUntil } from "../domain/runtime.ts";
import { CounterStoreError, hashIdentifier, type CounterResult, type CounterStore } from "../counters/index.ts";
import { describeError } from "../http/describe-error.ts";

const MINUTE = 60_000;
const OUTAGE_RETRY_AFTER_S = 5;
const OUTAGE_LOG_EVERY_MS = 10_000;
/** Used when GATEWAY_RATE_LIMIT_SECRET is unset: hashes stay opaque, but not secret. */
const FALLBACK_SECRET = "edgegate-rate-limits";

export interface RateLimitSettings {
  anonIpLimit: number;
  anonIpWindowMs: number;
  anonQuota: number;
  anonQuotaWindowMs: number;
  secret: string | undefined;
}

/** One thing a signed-in request counts against: an API key, a user, an organization. */
export interface LimitSubject {
  /** Counter key: `key:<id>`, `user:<id>`, `org:<id>` (ids that are not key-safe are hashed). */
  key: string;
  /** Requests per minute; null = not limited. */
  rpm: number | null;
  /** Tokens per minute; null = not limited. */
  tpm: number | null;
}

export type { Reservation };

export interface RateOutcome {
  /** The tightest request limit that applied (for x-ratelimit-*-requests), if any did. */
  requests: CounterResult | null;
  tokens: CounterResult | null;
  reservations: readonly Reservation[];
}

export const UNLIMITED: RateOutcome = Object.freeze({ requests: null, tokens: null, reservations: Object.freeze([]) });

/** OpenAI's style for x-ratelimit-reset-*: "45s", "6m0s", "1h0m0s". */
export function resetDuration(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60}s`;
  return `${Math.floor(m / 60)}h${m % 60}m${s % 60}s`;
}

/** Adds the x-ratelimit-* headers for what applied to `into`; adds nothing when no limit did. */
export function rateHeaders(into: Record<string, string>, outcome: Pick<RateOutcome, "requests" | "tokens">, now: number): void {
  const { requests, tokens } = outcome;
  if (requests) {
    into["x-ratelimit-limit-requests"] = String(requests.limit);
    into["x-ratelimit-remaining-requests"] = String(requests.remaining);
    into["x-ratelimit-reset-requests"] = resetDuration(requests.resetAt - now);
  }
  if (tokens) {
    into["x-ratelimit-limit-tokens"] = String(tokens.limit);
    into["x-ratelimit-remaining-tokens"] = String(tokens.remaining);
    into["x-ratelimit-reset-tokens"] = resetDuration(tokens.resetAt - now);
  }
}

const tighter = (a: CounterResult | null, b: CounterResult): CounterResult => (a === null || b.remaining < a.remaining ? b : a);

const KEY_SAFE = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * An id as a counter-key segment: itself when key-safe (generated ids always are), else its
 * hash (admin-chosen ids may hold anything). Synchronous in the common case.
 */
export function keySegment(id: string): string | Promise<string> {
  if (safeIds.has(id)) return id;
  if (!KEY_SAFE.test(id)) return hashIdentifier(id).then((h) => `h-${h}`);
  if (safeIds.size >= MAX_SAFE_IDS) safeIds.clear();
  safeIds.add(id);
  return id;
}
// Ids already found key-safe: the same few keys and users come back on every request.
const safeIds = new Set<string>();
const MAX_SAFE_IDS = 10_000;

export class RateLimiter {
  readonly #counters: CounterStore;
  readonly #s: RateLimitSettings;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #secret: string;
  /** client subject -> counter key; HMAC is async and per-request work we need not repeat. */
  readonly #ipKeys = new Map<string, Promise<string>>();
  #anonKey: Promise<string> | undefined;
  #lastOutageLog = -Infinity;

  constructor(counters: CounterStore, settings: RateLimitSettings, logger: Logger, now: () => number) {
    this.#counters = counters;
    this.#s = settings;
    this.#logger = logger;
    this.#now = now;
    this.#secret = settings.secret ?? FALLBACK_SECRET;
  }

  /** Anonymous callers: per client IP, then the quota all anonymous callers share. */
  async anonymous(clientIp: string | null): Promise<RateOutcome> {
    const s = this.#s;
    if (s.anonIpLimit === 0 || s.anonQuota === 0) {
      throw new GatewayError(401, "missing_token", "This gateway serves signed-in callers only: send an API key or token.");
    }
    try {
      const perIp = await this.#counters.hit(await this.#ipKey(rateLimitSubject(clientIp)), { limit: s.anonIpLimit, windowMs: s.anonIpWindowMs, kind: "sliding" });
      if (!perIp.allowed) {
        throw this.#limited(perIp, `Too many requests from your address: anonymous use allows ${s.anonIpLimit} requests per ${resetDuration(s.anonIpWindowMs)}. Sign in with an API key for more.`);
      }
      const all = await this.#counters.hit(await this.#anonQuotaKey(), { limit: s.anonQuota, windowMs: s.anonQuotaWindowMs, kind: "sliding" });
      if (!all.allowed) {
        throw this.#limited(all, "The gateway's quota for anonymous use is used up for now. Sign in with an API key, or retry later.");
      }
      return { requests: perIp, tokens: null, reservations: [] };
    } catch (err) {
      if (!(err instanceof CounterStoreError)) throw err;
      this.#outage(err, "closed");
      throw new GatewayError(503, "rate_limiter_unavailable", "The gateway cannot check rate limits right now. Please retry shortly.", null, {
        "retry-after": String(OUTAGE_RETRY_AFTER_S),
      });
    }
  }

  /**
   * Signed-in callers: request limits first, then token budgets, so a request refused for its
   * rate reserves no tokens. `estimate` runs only if a TPM applies. One store call per limit,
   * in turn (usually one or two; plain loops keep the in-memory path allocation-light).
   */
  async signedIn(subjects: readonly LimitSubject[], estimate: () => number, waitUntil: WaitUntil): Promise<RateOutcome> {
    if (subjects.length === 0) return UNLIMITED;
    const reservations: Reservation[] = [];
    try {
      let requests: CounterResult | null = null;
      for (const x of subjects) {
        if (x.rpm === null) continue;
        const r = await this.#counters.hit(x.key, { limit: x.rpm, windowMs: MINUTE, kind: "sliding" });
        if (!r.allowed) throw this.#limited(r, `Rate limit reached: ${r.limit} requests per minute for this ${kindOf(x.key)}.`);
        requests = tighter(requests, r);
      }
      let tokens: CounterResult | null = null;
      let wanted = -1;
      for (const x of subjects) {
        if (x.tpm === null) continue;
        if (wanted < 0) wanted = estimate();
        // Clamped: a request larger than the whole budget may still run in an empty window.
        const amount = Math.min(wanted, x.tpm);
        const r = await this.#counters.reserve(x.key, amount, { limit: x.tpm, windowMs: MINUTE });
        if (!r.allowed) {
          // Hand back what the other budgets took for this request; it will not run.
          for (const taken of reservations) waitUntil(this.settle(taken, 0));
          throw this.#limited(
            r,
            `Rate limit reached: this request may use up to ${wanted} tokens and ${r.remaining} of ${r.limit} tokens per minute are left for this ${kindOf(x.key)}. Lower max_tokens or retry later.`,
            "tokens",
          );
        }
        reservations.push({ key: x.key, amount, windowMs: MINUTE, resetAt: r.resetAt });
        tokens = tighter(tokens, r);
      }
      return { requests, tokens, reservations };
    } catch (err) {
      if (!(err instanceof CounterStoreError)) throw err;
      this.#outage(err, "open");
      // Reservations made before the outage are still settled with the request's usage.
      return reservations.length === 0 ? UNLIMITED : { requests: null, tokens: null, reservations };
    }
  }

  /** Corrects a reservation to the real usage; failures are logged, never thrown. */
  async settle(r: Reservation, actual: number): Promise<void> {
    try {
      await this.#counters.settle(r.key, r.amount, actual, { windowMs: r.windowMs, resetAt: r.resetAt });
    } catch (err) {
      if (err instanceof CounterStoreError) this.#outage(err, "settle");
      else this.#logger.error("token reservation could not be settled", { key: r.key, error: describeError(err) });
    }
  }

  #limited(result: CounterResult, message: string, kind: "requests" | "tokens" = "requests"): GatewayError {
    const now = this.#now();
    const headers: Record<string, string> = { "retry-after": String(Math.max(1, Math.ceil((result.resetAt - now) / 1000))) };
    rateHeaders(headers, kind === "requests" ? { requests: result, tokens: null } : { requests: null, tokens: result }, now);
    return new GatewayError(429, "rate_limited", message, null, headers);
  }

  #ipKey(subject: string | null): Promise<string> {
    const id = subject ?? "unknown";
    let key = this.#ipKeys.get(id);
    if (key === undefined) {
      if (this.#ipKeys.size >= 10_000) this.#ipKeys.clear();
      key = subject === null ? Promise.resolve("anon-ip:unknown") : hashIdentifier(subject, this.#secret).then((h) => `anon-ip:${h}`);
      this.#ipKeys.set(id, key);
    }
    return key;
  }

  /** Keyed under the secret too, so deployments sharing a Redis never share a quota. */
  #anonQuotaKey(): Promise<string> {
    this.#anonKey ??= hashIdentifier("anonymous-quota", this.#secret).then((h) => `anon-all:${h}`);
    return this.#anonKey;
  }

  #outage(err: CounterStoreError, mode: "open" | "closed" | "settle"): void {
    const now = this.#now();
    if (now - this.#lastOutageLog < OUTAGE_LOG_EVERY_MS) return;
    this.#lastOutageLog = now;
    const what = mode === "open" ? "admitting signed-in requests unlimited" : mode === "closed" ? "refusing anonymous requests" : "dropping a token settlement";
    this.#logger.warn(`rate counter store unavailable: ${what}`, { reason: err.reason, error: err.message });
  }
}

function kindOf(key: string): string {
  if (key.startsWith("org:")) return "organization";
  if (key.startsWith("user:")) return "user";
  return "API key";
}
