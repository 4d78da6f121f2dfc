// Rate counters on Node: Upstash when configured (several gateway processes share it), else
// this process's memory — fine for one process, which is what `npm start` runs.
import { Redis } from "@upstash/redis";
import { createMemoryCounters, createUpstashCounters, type Config, type CounterStore } from "../../src/index.ts";

export function nodeCounters(config: Config): { counters: CounterStore; kind: "upstash" | "memory" } {
  if (config.UPSTASH_REDIS_REST_URL && config.UPSTASH_REDIS_REST_TOKEN) {
    const redis = new Redis({
      url: config.UPSTASH_REDIS_REST_URL,
      token: config.UPSTASH_REDIS_REST_TOKEN,
      signal: () => AbortSignal.timeout(1_000),
      // No client-side retries: an outage must be answered now (see src/counters/breaker.ts), not after backoff.
      retry: false,
    });
    return { counters: createUpstashCounters(redis), kind: "upstash" };
  }
  return { counters: createMemoryCounters(), kind: "memory" };
}
