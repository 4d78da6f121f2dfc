// `npm run bench`: direct-to-mock vs edgegate (node adapter) vs Portkey, in one run.
// Starts the children, checks each answers, runs the phases, prints the table and writes
// bench/results.json. Children are killed on every exit path.
import { writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { request } from "undici";
import { chatBody } from "./body.ts";
import { LOAD_ONLY, readOptions, type BenchOptions, type TargetName } from "./options.ts";
import { loadPhase, sequentialPhase, streamPhase, type Failed, type PerTarget } from "./phases.ts";
import { analyse, formatReport, type Measurements } from "./report.ts";
import { killAllNow, startTargets, stopAll, type Target } from "./targets.ts";

const log = (msg: string) => process.stderr.write(`${msg}\n`);

process.on("exit", killAllNow);
for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  process.on(signal, () => {
    log(`\n${signal}: stopping children`);
    killAllNow();
    process.exit(code);
  });
}

/** One non-streaming request: must be 200 with a chat completion, or the target is left out. */
async function probe(target: Target): Promise<Failed | undefined> {
  try {
    const res = await request(target.origin + target.path, { method: "POST", headers: target.headers, body: chatBody(target, false) });
    const text = await res.body.text();
    if (res.statusCode === 200 && text.includes('"choices"')) return undefined;
    return { failed: { status: res.statusCode, message: text.slice(0, 200) } };
  } catch (err) {
    return { failed: { status: 0, message: err instanceof Error ? err.message : String(err) } };
  }
}

function withFailures<T>(measured: PerTarget<T>, failures: Map<TargetName, Failed>): PerTarget<T> {
  return { ...measured, ...Object.fromEntries(failures) };
}

async function main(options: BenchOptions) {
  const mode = `targets interleaved in rounds (start rotates each round); per-target value = median over rounds`;
  log(`bench: node ${process.version}, ${cpus().length} cpus, ${options.quick ? "QUICK smoke run" : "full run"}; ${mode}`);
  log(`  settings: ${JSON.stringify(options)}`);
  const loadBefore = loadavg();
  const { mockUrl, targets, database } = await startTargets(options.targets);
  log(`  mock upstream ${mockUrl}; ${targets.map((t) => `${t.name} ${t.origin}`).join(", ")}`);
  if (database) log(`  edgegate: API key auth, rate limits and accounting on; database: ${database}`);

  const failures = new Map<TargetName, Failed>();
  for (const t of targets) {
    const failed = await probe(t);
    if (failed) {
      failures.set(t.name, failed);
      log(`  ${t.name}: non-streaming probe failed (status ${failed.failed.status}): ${failed.failed.message}`);
    }
  }
  const healthy = targets.filter((t) => !failures.has(t.name));

  log(`a) non-streaming, ${options.connections} connections, ${options.rounds} x ${options.duration} s per target`);
  const c32 = withFailures(await loadPhase(healthy, options, options.connections), failures);
  // The route's target is the same process as edgegate's: it is compared at c=32 only.
  const gateways = healthy.filter((t) => !LOAD_ONLY.includes(t.name));
  log(`b) non-streaming, 1 connection (autocannon), ${options.rounds} x ${options.duration} s per target`);
  const c1 = withFailures(await loadPhase(gateways, options, 1), failures);
  log(`b) non-streaming, sequential loop, ${options.seqRequests} requests per target in ${options.seqRounds} rounds`);
  const sequential = withFailures(await sequentialPhase(gateways, options), failures);
  log(`c) streaming, ${options.streamRequests} requests per target in ${options.seqRounds} rounds`);
  const stream = await streamPhase(targets.filter((t) => !LOAD_ONLY.includes(t.name)), options);

  const measurements: Measurements = { c32, c1, sequential, stream };
  const names = targets.map((t) => t.name);
  const analysis = analyse(measurements, names);
  const report = formatReport(analysis, names);
  console.log(`\n${report}\n`);

  const results = {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    loadavgBefore: loadBefore,
    loadavgAfter: loadavg(),
    settings: { ...options, method: mode },
    targets: Object.fromEntries(targets.map((t) => [t.name, { url: t.origin + t.path, model: t.model }])),
    mockUrl,
    table: analysis.rows,
    ratios: analysis.ratios,
    verdicts: analysis.verdicts,
    raw: measurements,
  };
  await writeFile(options.out, `${JSON.stringify(results, null, 2)}\n`);
  log(`wrote ${options.out}`);
}

let options: BenchOptions;
try {
  options = readOptions(process.argv.slice(2), process.env);
} catch (err) {
  log(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
}
try {
  await main(options);
} catch (err) {
  log(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
