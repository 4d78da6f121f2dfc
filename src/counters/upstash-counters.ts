// Counters in Upstash Redis over its REST API (fetch-based, so it runs on every runtime).
// Sliding windows use @upstash/ratelimit's own script; fixed windows and token budgets use the
// Lua in upstash-scripts.ts, because ratelimit's fixed window counts refused requests too.
// Every operation is one EVALSHA (EVAL on NOSCRIPT): check and count happen inside Redis. Health
// counts (error-rate failover) use the scripts there too; health-windows.ts has their layout.
//
// Build the client with a per-request deadline so a stalled backend aborts its fetch:
//   new Redis({ url, token, retry: false, signal: () => AbortSignal.timeout(1000) })
// Pass signal as a function: a plain AbortSignal makes @upstash/redis treat an abort as a
// successful reply of "Aborted". retry: false still makes two attempts. This store applies its
// own deadline (timeoutMs) on top, so callers get a CounterStoreError in time either way.
import { Ratelimit } from "@upstash/ratelimit";
import type { Redis } from "@upstash/redis";
import {
  CounterStoreError,
  type BudgetOptions,
  type CounterResult,
  type CounterStore,
  type HealthCount,
  type HitOptions,
  type SettleOptions,
} from "./counter-store.ts";
import { checkReadHealth, checkRecord, checkTrip, coolingKey, healthCount, healthKey, healthTtlMs, type HealthWindows } from "./health-windows.ts";
import { ADJUST, ADMIT_FIXED, READ_HEALTH, RECORD_CALL, TRIP } from "./upstash-scripts.ts";
import {
  assertNamespace,
  checkHit,
  checkReserve,
  checkSettle,
  counterKey,
  counterTtlMs,
  DEFAULT_NAMESPACE,
  settleTarget,
  windowEnd,
  windowIndex,
  type CounterKind,
} from "./windows.ts";

export interface UpstashCountersOptions {
  namespace?: string;
  /** Longest wait for Redis before a CounterStoreError (default 1000 ms; 0 disables). */
  timeoutMs?: number;
}

// One Ratelimit per (limit, window) pair; limits can be set per key, so cap the cache.
const MAX_LIMITERS = 256;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isIntegerPair(value: unknown): value is [number, number] {
  return Array.isArray(value) && value.length === 2 && Number.isInteger(value[0]) && Number.isInteger(value[1]);
}

function isIntegers(value: unknown, length: number): value is number[] {
  return Array.isArray(value) && value.length === length && value.every((v) => Number.isInteger(v));
}

const badReply = () => new CounterStoreError("counter store returned an unexpected reply", "bad_reply");

// READ_HEALTH answers 7 integers per key: ms, w, c, e, pc, pe, the cooling marker's PTTL.
const HEALTH_FIELDS = 7;

function healthFrom(reply: readonly number[], at: number): { windows: HealthWindows | undefined; pttl: number } {
  const [ms = 0, index = 0, calls = 0, errors = 0, previousCalls = 0, previousErrors = 0, pttl = -2] = reply.slice(at, at + HEALTH_FIELDS);
  // No window size is 0: a missing record.
  const windows = ms === 0 ? undefined : { windowMs: ms, index, calls, errors, previousCalls, previousErrors };
  return { windows, pttl };
}

export function createUpstashCounters(redis: Redis, options: UpstashCountersOptions = {}): CounterStore {
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  assertNamespace(namespace);
  const timeoutMs = options.timeoutMs ?? 1000;
  const admitFixed = redis.createScript<unknown>(ADMIT_FIXED);
  const adjust = redis.createScript<unknown>(ADJUST);
  const recordScript = redis.createScript<unknown>(RECORD_CALL);
  const readScript = redis.createScript<unknown>(READ_HEALTH);
  const tripScript = redis.createScript<unknown>(TRIP);
  const limiters = new Map<string, Ratelimit>();

  function slidingLimiter(limit: number, windowMs: number): Ratelimit {
    const id = `${limit}:${windowMs}`;
    let limiter = limiters.get(id);
    if (limiter === undefined) {
      if (limiters.size >= MAX_LIMITERS) limiters.clear();
      limiter = new Ratelimit({
        redis,
        limiter: Ratelimit.slidingWindow(limit, `${windowMs} ms`),
        // Keys come out as <namespace>:sliding:<windowMs>:<key>:<window>, like the others.
        prefix: `${namespace}:sliding:${windowMs}`,
        // Its in-memory block list would answer from one isolate's memory instead of Redis.
        ephemeralCache: false,
        // Its timeout resolves as *allowed*; outages must surface here as errors instead.
        timeout: 0,
        analytics: false,
      });
      limiters.set(id, limiter);
    }
    return limiter;
  }

  /** Runs one backend call under the deadline; every failure becomes a CounterStoreError. */
  async function call<T>(operation: string, work: () => Promise<T>): Promise<T> {
    const attempt = work().catch((error: unknown) => {
      if (error instanceof CounterStoreError) throw error;
      throw new CounterStoreError(`counter store ${operation} failed: ${messageOf(error)}`, "backend", { cause: error });
    });
    if (timeoutMs <= 0) return attempt;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new CounterStoreError(`counter store ${operation} timed out after ${timeoutMs} ms`, "timeout")),
        timeoutMs,
      );
    });
    try {
      // race() subscribes to both, so a late failure of the abandoned call is not unhandled.
      return await Promise.race([attempt, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function fixedWindow(kind: CounterKind, key: string, cost: number, limit: number, windowMs: number): Promise<CounterResult> {
    const index = windowIndex(Date.now(), windowMs);
    const id = counterKey(namespace, kind, windowMs, key, index);
    const reply = await call(kind === "tokens" ? "reserve" : "hit", () =>
      admitFixed.exec([id], [String(limit), String(cost), String(counterTtlMs(kind, windowMs))]),
    );
    if (!isIntegerPair(reply)) throw badReply();
    const [admitted, used] = reply;
    return { allowed: admitted === 1, limit, remaining: Math.max(0, limit - used), resetAt: windowEnd(index, windowMs) };
  }

  return {
    async hit(key: string, o: HitOptions): Promise<CounterResult> {
      checkHit(key, o);
      if (o.kind === "fixed") return fixedWindow("fixed", key, 1, o.limit, o.windowMs);
      const limiter = slidingLimiter(o.limit, o.windowMs);
      const r = await call("hit", () => limiter.limit(key));
      return { allowed: r.success, limit: r.limit, remaining: r.remaining, resetAt: r.reset };
    },

    async reserve(key: string, amount: number, o: BudgetOptions): Promise<CounterResult> {
      checkReserve(key, amount, o);
      return fixedWindow("tokens", key, amount, o.limit, o.windowMs);
    },

    async settle(key: string, reserved: number, actual: number, o: SettleOptions): Promise<void> {
      checkSettle(key, reserved, actual, o);
      const delta = actual - reserved;
      const index = settleTarget(Date.now(), delta, o);
      if (index === null) return;
      const id = counterKey(namespace, "tokens", o.windowMs, key, index);
      const reply = await call("settle", () => adjust.exec([id], [String(delta), String(counterTtlMs("tokens", o.windowMs))]));
      if (!Number.isInteger(reply)) throw badReply();
    },

    async recordCall(key: string, ok: boolean, windowMs: number): Promise<void> {
      checkRecord(key, ok, windowMs);
      const index = windowIndex(Date.now(), windowMs);
      const args = [String(windowMs), String(index), ok ? "0" : "1", String(healthTtlMs(windowMs))];
      const reply = await call("recordCall", () => recordScript.exec([healthKey(namespace, key)], args));
      if (!Number.isInteger(reply)) throw badReply();
    },

    async readHealth(keys: readonly { key: string; windowMs: number }[]): Promise<HealthCount[]> {
      checkReadHealth(keys);
      if (keys.length === 0) return [];
      const redisKeys = keys.flatMap(({ key }) => [healthKey(namespace, key), coolingKey(namespace, key)]);
      const reply = await call("readHealth", () => readScript.exec(redisKeys, []));
      if (!isIntegers(reply, keys.length * HEALTH_FIELDS)) throw badReply();
      // Weighed at one instant for all keys, once the counts are in.
      const now = Date.now();
      return keys.map(({ windowMs }, i) => {
        const { windows, pttl } = healthFrom(reply, i * HEALTH_FIELDS);
        return healthCount(windows, now, windowMs, pttl);
      });
    },

    async trip(key: string, cooldownMs: number): Promise<void> {
      checkTrip(key, cooldownMs);
      const reply = await call("trip", () => tripScript.exec([healthKey(namespace, key), coolingKey(namespace, key)], [String(cooldownMs)]));
      if (reply !== 0 && reply !== 1) throw badReply();
    },
  };
}
