// Throughput under load with autocannon (in this process; targets are child processes).
// autocannon records latency in whole milliseconds, so at concurrency 1 its mean is coarse:
// latency.ts gives the precise numbers there.
import autocannon from "autocannon";
import type { Target } from "./targets.ts";

export interface LoadResult {
  reqPerSec: number;
  latencyMeanMs: number;
  latencyP99Ms: number;
  requests: number;
  /** socket errors (timeouts included) + non-2xx responses */
  errors: number;
  statusCodes: Record<string, number>;
  durationS: number;
}

export interface LoadSettings {
  connections: number;
  duration: number;
  /** seconds of unrecorded load first; 0 = none */
  warmup: number;
}

export async function runLoad(target: Target, body: string, settings: LoadSettings): Promise<LoadResult> {
  const result = await autocannon({
    url: target.origin + target.path,
    method: "POST",
    headers: target.headers,
    body,
    connections: settings.connections,
    duration: settings.duration,
    ...(settings.warmup > 0 ? { warmup: { connections: settings.connections, duration: settings.warmup } } : {}),
  });
  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) statusCodes[code] = count;
  return {
    reqPerSec: result.requests.average,
    latencyMeanMs: result.latency.mean,
    latencyP99Ms: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors + result.non2xx,
    statusCodes,
    durationS: result.duration,
  };
}
