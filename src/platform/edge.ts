// Storage for the edge adapters (Workers, Vercel Edge, Deno): Neon over HTTP and Upstash over
// REST, both fetch-based. Both are required there: per-isolate memory is not a rate limiter,
// and a gateway without its database is not one either, so missing settings stop start-up.
import { neonConfig } from "@neondatabase/serverless";
import { Redis } from "@upstash/redis";
import { ConfigError, type Config } from "../config/schema.ts";
import type { Db } from "../store/db.ts";
import { createNeonDb } from "../store/neon.ts";
import { createUpstashCounters, type CounterStore } from "../counters/index.ts";

export interface EdgeStorage {
  db: Db;
  counters: CounterStore;
}

/**
 * NEON_FETCH_ENDPOINT points the Neon driver at another SQL-over-HTTP endpoint (a local stand-in,
 * a self-hosted proxy). Neon's own endpoint is derived from DATABASE_URL when it is unset. The
 * driver keeps this setting globally, hence a function the adapters call once at start-up.
 */
export function useNeonEndpoint(config: Config): void {
  if (config.NEON_FETCH_ENDPOINT) neonConfig.fetchEndpoint = config.NEON_FETCH_ENDPOINT;
}

export function edgeStorage(config: Config, platform: string): EdgeStorage {
  if (!config.DATABASE_URL) throw new ConfigError("DATABASE_URL", `is required on ${platform} (a Neon connection string)`);
  if (!config.UPSTASH_REDIS_REST_URL) throw new ConfigError("UPSTASH_REDIS_REST_URL", `is required on ${platform} (rate counters live in Upstash)`);
  if (!config.UPSTASH_REDIS_REST_TOKEN) throw new ConfigError("UPSTASH_REDIS_REST_TOKEN", `is required on ${platform}`);
  useNeonEndpoint(config);
  const redis = new Redis({
    url: config.UPSTASH_REDIS_REST_URL,
    token: config.UPSTASH_REDIS_REST_TOKEN,
    // A hung counter store must not hang requests: each call gets its own deadline.
    signal: () => AbortSignal.timeout(1_000),
    // No client-side retries: an outage must be answered now (see src/counters/breaker.ts), not after backoff.
    retry: false,
  });
  return { db: createNeonDb(config.DATABASE_URL), counters: createUpstashCounters(redis) };
}
