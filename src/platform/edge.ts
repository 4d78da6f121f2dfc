// Storage for the edge adapters (Workers, Vercel Edge, Deno): Neon over HTTP and Upstash over
// REST, both fetch-based. Both are required there: per-isolate memory is not a rate limiter,
// and a gateway without its database is not one either, so missing settings stop start-up.
import { neonConfig } from "@neondatabase/serverless";
import { Redis } from "@upstash/redis";
import { ConfigError, parseConfig, type Config, type ConfigProblem } from "../config/schema.ts";
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

type Settings = Partial<Record<"DATABASE_URL" | "UPSTASH_REDIS_REST_URL" | "UPSTASH_REDIS_REST_TOKEN", string | undefined>>;

type EdgeSettings = { ok: true; databaseUrl: string; upstashUrl: string; upstashToken: string } | { ok: false; problems: ConfigProblem[] };

/** The three storage settings an edge platform needs, or every one it lacks. */
function edgeSettings(settings: Settings, platform: string): EdgeSettings {
  const databaseUrl = settings.DATABASE_URL?.trim();
  const upstashUrl = settings.UPSTASH_REDIS_REST_URL?.trim();
  const upstashToken = settings.UPSTASH_REDIS_REST_TOKEN?.trim();
  const inMemory = databaseUrl?.toLowerCase().startsWith("memory:") === true;
  if (databaseUrl && !inMemory && upstashUrl && upstashToken) return { ok: true, databaseUrl, upstashUrl, upstashToken };
  const problems: ConfigProblem[] = [];
  if (!databaseUrl) problems.push({ setting: "DATABASE_URL", problem: `is required on ${platform} (a Neon connection string)` });
  if (inMemory) problems.push({ setting: "DATABASE_URL", problem: `memory:// is for Node only; ${platform} needs a Neon connection string` });
  if (!upstashUrl) problems.push({ setting: "UPSTASH_REDIS_REST_URL", problem: `is required on ${platform} (rate counters live in Upstash)` });
  if (!upstashToken) problems.push({ setting: "UPSTASH_REDIS_REST_TOKEN", problem: `is required on ${platform}` });
  return { ok: false, problems };
}

/**
 * parseConfig for an edge adapter: bad values and missing storage settings are reported
 * together, so the first failed start names everything there is to fix.
 */
export function parseEdgeConfig(env: Record<string, string | undefined>, platform: string): Config {
  const storage = edgeSettings(env, platform);
  const missing = storage.ok ? [] : storage.problems;
  let config: Config;
  try {
    config = parseConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const named = new Set(err.problems.map((p) => p.setting));
    throw ConfigError.of([...err.problems, ...missing.filter((p) => !named.has(p.setting))]);
  }
  if (missing.length > 0) throw ConfigError.of(missing);
  return config;
}

export function edgeStorage(config: Config, platform: string): EdgeStorage {
  const settings = edgeSettings(config, platform);
  if (!settings.ok) throw ConfigError.of(settings.problems);
  useNeonEndpoint(config);
  const redis = new Redis({
    url: settings.upstashUrl,
    token: settings.upstashToken,
    // A hung counter store must not hang requests: each call gets its own deadline.
    signal: () => AbortSignal.timeout(1_000),
    // No client-side retries: an outage must be answered now (see src/counters/breaker.ts), not after backoff.
    retry: false,
  });
  return { db: createNeonDb(settings.databaseUrl), counters: createUpstashCounters(redis) };
}
