// Bench settings from flags (`npm run bench -- --duration=4`) or env (BENCH_DURATION=4);
// a flag wins over env, env over the default. BENCH_QUICK=1 / --quick switches every default
// to a short smoke-run value.
export const TARGET_NAMES = ["direct", "edgegate", "edgegate-route", "portkey"] as const;
export type TargetName = (typeof TARGET_NAMES)[number];
/** Measured at c=32 only: the same edgegate process, through a two-target weighted route. */
export const LOAD_ONLY: readonly TargetName[] = ["edgegate-route"];

export interface BenchOptions {
  quick: boolean;
  targets: TargetName[];
  /** autocannon: seconds measured per target per round, warm-up seconds before round 1 */
  duration: number;
  warmup: number;
  connections: number;
  /** autocannon rounds (targets interleaved, median taken) */
  rounds: number;
  /** sequential loops: requests per target in total, split over seqRounds interleaved blocks */
  seqRequests: number;
  seqWarmup: number;
  seqRounds: number;
  streamRequests: number;
  streamWarmup: number;
  /** mock stream shape; undefined = the mock's default (3 chunks, no delay) */
  streamChunks: number | undefined;
  streamDelayMs: number | undefined;
  out: string;
}

interface NumberSetting {
  key: Exclude<keyof BenchOptions, "quick" | "targets" | "out" | "streamChunks" | "streamDelayMs">;
  full: number;
  quick: number;
  min: number;
}

const NUMBERS: NumberSetting[] = [
  { key: "duration", full: 8, quick: 2, min: 1 },
  { key: "warmup", full: 5, quick: 1, min: 0 },
  { key: "connections", full: 32, quick: 32, min: 1 },
  { key: "rounds", full: 3, quick: 1, min: 1 },
  { key: "seqRequests", full: 3000, quick: 300, min: 1 },
  { key: "seqWarmup", full: 300, quick: 50, min: 0 },
  { key: "seqRounds", full: 6, quick: 2, min: 1 },
  { key: "streamRequests", full: 300, quick: 60, min: 1 },
  { key: "streamWarmup", full: 1000, quick: 100, min: 0 },
];

/** "seqRequests" -> flag "seq-requests", env "BENCH_SEQ_REQUESTS" */
const flagName = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const envName = (key: string) => `BENCH_${flagName(key).replace(/-/g, "_").toUpperCase()}`;

function lookup(key: string, flags: Map<string, string>, env: Record<string, string | undefined>): string | undefined {
  return flags.get(flagName(key)) ?? env[envName(key)];
}

function parseFlags(argv: string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m?.[1]) throw new Error(`unknown argument ${arg} (flags look like --duration=8)`);
    flags.set(m[1], m[2] ?? "1");
  }
  return flags;
}

function toNumber(name: string, raw: string, min: number): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number >= ${min}, got "${raw}"`);
  return n;
}

const truthy = (v: string | undefined) => v !== undefined && v !== "" && v !== "0" && v !== "false";

export function readOptions(argv: string[], env: Record<string, string | undefined>): BenchOptions {
  const flags = parseFlags(argv);
  const known = new Set(["quick", "targets", "out", "stream-chunks", "stream-delay-ms", ...NUMBERS.map((s) => flagName(s.key))]);
  for (const name of flags.keys()) if (!known.has(name)) throw new Error(`unknown flag --${name}; known: ${[...known].join(", ")}`);

  const quick = truthy(lookup("quick", flags, env));
  const targetsRaw = lookup("targets", flags, env);
  const targets = targetsRaw ? targetsRaw.split(",").map((t) => t.trim()).filter(Boolean) : [...TARGET_NAMES];
  for (const t of targets) {
    if (!(TARGET_NAMES as readonly string[]).includes(t)) throw new Error(`unknown target "${t}"; known: ${TARGET_NAMES.join(", ")}`);
  }
  const optionalNumber = (key: string, min: number) => {
    const raw = lookup(key, flags, env);
    return raw === undefined || raw === "" ? undefined : toNumber(flagName(key), raw, min);
  };
  const options: BenchOptions = {
    quick,
    targets: TARGET_NAMES.filter((t) => targets.includes(t)),
    duration: 0,
    warmup: 0,
    connections: 0,
    rounds: 0,
    seqRequests: 0,
    seqWarmup: 0,
    seqRounds: 0,
    streamRequests: 0,
    streamWarmup: 0,
    streamChunks: optionalNumber("streamChunks", 1),
    streamDelayMs: optionalNumber("streamDelayMs", 0),
    out: lookup("out", flags, env) ?? "bench/results.json",
  };
  for (const s of NUMBERS) {
    const raw = lookup(s.key, flags, env);
    options[s.key] = raw === undefined || raw === "" ? (quick ? s.quick : s.full) : toNumber(flagName(s.key), raw, s.min);
  }
  return options;
}
