// The measured phases. Each runs the targets interleaved in rounds, rotating the starting target
// every round (A,B,C / B,C,A / C,A,B …) so that drift on this shared machine hits all alike;
// report.ts then takes medians over rounds. A target that fails its probe gets a `failed` row.
import { Client } from "undici";
import { chatBody } from "./body.ts";
import { runSequential } from "./latency.ts";
import { runLoad, type LoadResult } from "./load.ts";
import type { BenchOptions, TargetName } from "./options.ts";
import { summarize, type Summary } from "./stats.ts";
import { timeStream } from "./stream.ts";
import type { Target } from "./targets.ts";

export interface Failed {
  failed: { status: number; message: string };
}
export type PerTarget<T> = Partial<Record<TargetName, T | Failed>>;

export interface SequentialResult {
  rounds: Summary[];
  pooled: Summary;
  errors: number;
  firstError?: string;
}

export interface StreamResult {
  ttfc: { rounds: Summary[]; pooled: Summary };
  ttlc: { rounds: Summary[]; pooled: Summary };
  errors: number;
  firstError?: string;
}

export const isFailed = <T extends object>(r: T | Failed | undefined): r is Failed => r !== undefined && "failed" in r;

const log = (msg: string) => process.stderr.write(`${msg}\n`);
const rotate = <T>(xs: T[], by: number) => {
  const k = xs.length === 0 ? 0 : by % xs.length;
  return [...xs.slice(k), ...xs.slice(0, k)];
};
const perRound = (total: number, rounds: number) => Math.max(1, Math.ceil(total / rounds));

/** a) and b): autocannon at `connections`, `rounds` rounds, warm-up before each target's first. */
export async function loadPhase(targets: Target[], options: BenchOptions, connections: number): Promise<PerTarget<LoadResult[]>> {
  const out: PerTarget<LoadResult[]> = {};
  for (let r = 0; r < options.rounds; r++) {
    for (const target of rotate(targets, r)) {
      const result = await runLoad(target, chatBody(target, false), {
        connections,
        duration: options.duration,
        warmup: r === 0 ? options.warmup : 0,
      });
      const rounds = out[target.name];
      if (!isFailed(rounds) && rounds) rounds.push(result);
      else out[target.name] = [result];
      const flag = result.errors > 0 ? `  (${result.errors} errors! ${JSON.stringify(result.statusCodes)})` : "";
      log(`  c=${connections} round ${r + 1}/${options.rounds} ${target.name}: ${result.reqPerSec.toFixed(0)} req/s, mean ${result.latencyMeanMs.toFixed(2)} ms${flag}`);
    }
  }
  return out;
}

interface Connected {
  target: Target;
  /** one keep-alive connection, like autocannon at concurrency 1 */
  client: Client;
}

const connect = (targets: Target[]): Connected[] =>
  targets.map((target) => ({ target, client: new Client(target.origin, { keepAliveTimeout: 60_000 }) }));

async function closeAll(connected: Connected[]) {
  await Promise.all(connected.map(({ client }) => client.close()));
}

/** b) precise: one request at a time per target, blocks interleaved. */
export async function sequentialPhase(targets: Target[], options: BenchOptions): Promise<PerTarget<SequentialResult>> {
  const connected = connect(targets);
  const out: PerTarget<SequentialResult> = {};
  const samples = new Map<TargetName, number[]>();
  try {
    const live: Connected[] = [];
    for (const { target, client } of connected) {
      const probe = await runSequential(client, target, chatBody(target, false), 1);
      if (probe.errors > 0) {
        out[target.name] = { failed: { status: 0, message: probe.firstError ?? "error" } };
        log(`  sequential ${target.name}: probe failed: ${probe.firstError}`);
        continue;
      }
      await runSequential(client, target, chatBody(target, false), options.seqWarmup);
      live.push({ target, client });
      samples.set(target.name, []);
      out[target.name] = { rounds: [], pooled: summarize([]), errors: 0 };
    }
    const count = perRound(options.seqRequests, options.seqRounds);
    for (let r = 0; r < options.seqRounds; r++) {
      for (const { target, client } of rotate(live, r)) {
        const block = await runSequential(client, target, chatBody(target, false), count);
        const result = out[target.name];
        if (!result || isFailed(result)) continue;
        result.rounds.push(summarize(block.samples));
        result.errors += block.errors;
        if (block.firstError) result.firstError ??= block.firstError;
        samples.get(target.name)?.push(...block.samples);
      }
      log(`  sequential round ${r + 1}/${options.seqRounds} done (${count} requests per target)`);
    }
    for (const [name, all] of samples) {
      const result = out[name];
      if (result && !isFailed(result)) result.pooled = summarize(all);
    }
  } finally {
    await closeAll(connected);
  }
  return out;
}

/** c) streaming: TTFC and TTLC, one request at a time per target, blocks interleaved. */
export async function streamPhase(targets: Target[], options: BenchOptions): Promise<PerTarget<StreamResult>> {
  const connected = connect(targets);
  const out: PerTarget<StreamResult> = {};
  const pooled = new Map<TargetName, { ttfc: number[]; ttlc: number[] }>();
  try {
    const live: Connected[] = [];
    for (const { target, client } of connected) {
      const body = chatBody(target, true, options);
      const probe = await timeStream(client, target, body);
      if (!probe.ok) {
        out[target.name] = { failed: { status: probe.status, message: probe.message } };
        log(`  stream ${target.name}: failed (status ${probe.status}): ${probe.message}`);
        continue;
      }
      for (let i = 0; i < options.streamWarmup; i++) await timeStream(client, target, body);
      live.push({ target, client });
      pooled.set(target.name, { ttfc: [], ttlc: [] });
      out[target.name] = { ttfc: { rounds: [], pooled: summarize([]) }, ttlc: { rounds: [], pooled: summarize([]) }, errors: 0 };
    }
    const count = perRound(options.streamRequests, options.seqRounds);
    for (let r = 0; r < options.seqRounds; r++) {
      for (const { target, client } of rotate(live, r)) {
        const body = chatBody(target, true, options);
        const result = out[target.name];
        const all = pooled.get(target.name);
        if (!result || isFailed(result) || !all) continue;
        const ttfc: number[] = [];
        const ttlc: number[] = [];
        for (let i = 0; i < count; i++) {
          const outcome = await timeStream(client, target, body);
          if (outcome.ok) {
            ttfc.push(outcome.ttfcMs);
            ttlc.push(outcome.ttlcMs);
          } else {
            result.errors++;
            result.firstError ??= `status ${outcome.status}: ${outcome.message}`;
          }
        }
        result.ttfc.rounds.push(summarize(ttfc));
        result.ttlc.rounds.push(summarize(ttlc));
        all.ttfc.push(...ttfc);
        all.ttlc.push(...ttlc);
      }
      log(`  stream round ${r + 1}/${options.seqRounds} done (${count} requests per target)`);
    }
    for (const [name, all] of pooled) {
      const result = out[name];
      if (!result || isFailed(result)) continue;
      result.ttfc.pooled = summarize(all.ttfc);
      result.ttlc.pooled = summarize(all.ttlc);
    }
  } finally {
    await closeAll(connected);
  }
  return out;
}
