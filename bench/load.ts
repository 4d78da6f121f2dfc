// Throughput under load with autocannon (in this process; targets are child processes).
// autocannon records latency in whole milliseconds, so at concurrency 1 its mean is coarse:
// latency.ts gives the precise numbers there.
import autocannon from "autocannon";
import { postgresCpu, postgresCpuSince, processCpuSeconds } from "./cpu.ts";
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
  /** CPU µs per request of the target's process, all threads (Linux only) */
  cpuUsPerRequest?: number;
  /** CPU µs per request of the PostgreSQL server over the same window (Linux only) */
  postgresUsPerRequest?: number;
}

export interface LoadSettings {
  connections: number;
  duration: number;
  /** seconds of unrecorded load first; 0 = none */
  warmup: number;
}

const usPerRequest = (seconds: number | undefined, requests: number) => (seconds === undefined || requests === 0 ? undefined : (seconds * 1e6) / requests);
const since = (before: number | undefined, after: number | undefined) => (before === undefined || after === undefined ? undefined : after - before);

export async function runLoad(target: Target, body: string, settings: LoadSettings): Promise<LoadResult> {
  const run = (duration: number) =>
    autocannon({ url: target.origin + target.path, method: "POST", headers: target.headers, body, connections: settings.connections, duration });
  // The warm-up is its own unrecorded run, so that the CPU readings below cover only what is measured.
  if (settings.warmup > 0) await run(settings.warmup);
  const cpuBefore = processCpuSeconds(target.pid);
  const pgBefore = postgresCpu();
  const result = await run(settings.duration);
  const cpuUsPerRequest = usPerRequest(since(cpuBefore, processCpuSeconds(target.pid)), result.requests.total);
  const postgresUsPerRequest = usPerRequest(postgresCpuSince(pgBefore), result.requests.total);
  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) statusCodes[code] = count;
  return {
    ...(cpuUsPerRequest === undefined ? {} : { cpuUsPerRequest }),
    ...(postgresUsPerRequest === undefined ? {} : { postgresUsPerRequest }),
    reqPerSec: result.requests.average,
    latencyMeanMs: result.latency.mean,
    latencyP99Ms: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors + result.non2xx,
    statusCodes,
    durationS: result.duration,
  };
}
