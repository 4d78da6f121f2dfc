// Turns the phases' raw rounds into the table, the ratios and the issue's PASS/FAIL targets.
// Per-target values are medians over rounds; ratios and differences are medians of the
// per-round (paired, same round) ratio or difference, which cancels drift between rounds.
import type { LoadResult } from "./load.ts";
import type { TargetName } from "./options.ts";
import { isFailed, type Failed, type PerTarget, type SequentialResult, type StreamResult } from "./phases.ts";
import { median, round } from "./stats.ts";

export interface Measurements {
  c32: PerTarget<LoadResult[]>;
  c1: PerTarget<LoadResult[]>;
  sequential: PerTarget<SequentialResult>;
  stream: PerTarget<StreamResult>;
}

type Cell = number | Failed | undefined;
interface Row {
  metric: string;
  decimals: number;
  cells: Partial<Record<TargetName, Cell>>;
  /** targets whose number comes from a run with errors */
  flagged: TargetName[];
}

export interface Verdict {
  target: string;
  measured: string;
  verdict: "PASS" | "FAIL" | "n/a";
}

export interface Analysis {
  rows: Row[];
  ratios: Record<string, number | null>;
  verdicts: Verdict[];
}

const ok = <T extends object>(r: T | Failed | undefined): T | undefined => (r === undefined || isFailed(r) ? undefined : r);

function paired(a: number[] | undefined, b: number[] | undefined, op: (x: number, y: number) => number): number | null {
  if (!a || !b) return null;
  const n = Math.min(a.length, b.length);
  const values: number[] = [];
  for (let i = 0; i < n; i++) values.push(op(a[i] ?? NaN, b[i] ?? NaN));
  const m = median(values.filter(Number.isFinite));
  return Number.isFinite(m) ? m : null;
}
const ratio = (a?: number[], b?: number[]) => paired(a, b, (x, y) => x / y);
const diff = (a?: number[], b?: number[]) => paired(a, b, (x, y) => x - y);

export function analyse(m: Measurements, names: TargetName[]): Analysis {
  const rows: Row[] = [];
  const row = (metric: string, decimals: number, value: (name: TargetName) => Cell, errors: (name: TargetName) => number) =>
    rows.push({
      metric,
      decimals,
      cells: Object.fromEntries(names.map((n) => [n, value(n)])),
      flagged: names.filter((n) => errors(n) > 0),
    });
  // A failed phase shows as failed in each of its rows.
  const cell = <T extends object>(r: T | Failed | undefined, pick: (t: T) => number): Cell => (r === undefined ? undefined : isFailed(r) ? r : pick(r));
  const loadErrors = (rounds: LoadResult[] | Failed | undefined) => (ok(rounds) ?? []).reduce((sum, x) => sum + x.errors, 0);

  for (const [label, phase] of [["c=32", m.c32], ["c=1", m.c1]] as const) {
    const med = (n: TargetName, pick: (x: LoadResult) => number) => cell(phase[n], (rs) => median(rs.map(pick)));
    const errs = (n: TargetName) => loadErrors(phase[n]);
    row(`${label} req/s`, 0, (n) => med(n, (x) => x.reqPerSec), errs);
    row(`${label} mean latency ms (autocannon)`, 2, (n) => med(n, (x) => x.latencyMeanMs), errs);
    row(`${label} p99 latency ms (autocannon)`, 0, (n) => med(n, (x) => x.latencyP99Ms), errs);
    // autocannon's histogram has whole-ms resolution; at one connection 1000/req/s is the finer mean.
    if (label === "c=1") row("c=1 ms per request (1000 / req/s)", 3, (n) => med(n, (x) => 1000 / x.reqPerSec), errs);
    // What each request cost in CPU, whatever share of the machine the process got (see cpu.ts).
    if (label === "c=32") {
      row("c=32 CPU µs per request (process)", 0, (n) => med(n, (x) => x.cpuUsPerRequest ?? NaN), errs);
      row("c=32 CPU µs per request (PostgreSQL)", 0, (n) => med(n, (x) => x.postgresUsPerRequest ?? NaN), errs);
    }
    row(`${label} errors + non-2xx`, 0, (n) => cell(phase[n], () => errs(n)), errs);
  }
  const seqErrs = (n: TargetName) => ok(m.sequential[n])?.errors ?? 0;
  row("c=1 mean ms (sequential)", 3, (n) => cell(m.sequential[n], (r) => median(r.rounds.map((x) => x.mean))), seqErrs);
  row("c=1 p50 ms (sequential)", 3, (n) => cell(m.sequential[n], (r) => r.pooled.p50), seqErrs);
  row("c=1 p99 ms (sequential)", 3, (n) => cell(m.sequential[n], (r) => r.pooled.p99), seqErrs);
  const streamErrs = (n: TargetName) => ok(m.stream[n])?.errors ?? 0;
  for (const key of ["ttfc", "ttlc"] as const) {
    const name = key === "ttfc" ? "time to first chunk" : "time to last chunk";
    row(`stream ${name} mean ms`, 3, (n) => cell(m.stream[n], (r) => median(r[key].rounds.map((x) => x.mean))), streamErrs);
    row(`stream ${name} p50 ms`, 3, (n) => cell(m.stream[n], (r) => r[key].pooled.p50), streamErrs);
    row(`stream ${name} p99 ms`, 3, (n) => cell(m.stream[n], (r) => r[key].pooled.p99), streamErrs);
  }

  const rps = (n: TargetName) => ok(m.c32[n])?.map((x) => x.reqPerSec);
  // edgegate's ledger writes are PostgreSQL's work, so they count on its side of the CPU ratio
  // (Portkey keeps no database; PostgreSQL only settles edgegate's last batch in its window).
  const cpu = (n: TargetName, withDb: boolean) =>
    ok(m.c32[n])?.map((x) => (x.cpuUsPerRequest ?? NaN) + (withDb ? (x.postgresUsPerRequest ?? 0) : 0));
  const seqMeans = (n: TargetName) => ok(m.sequential[n])?.rounds.map((x) => x.mean);
  const streamMeans = (n: TargetName, key: "ttfc" | "ttlc") => ok(m.stream[n])?.[key].rounds.map((x) => x.mean);
  const ratios = {
    c32_reqps_edgegate_over_direct: ratio(rps("edgegate"), rps("direct")),
    c32_reqps_edgegate_over_portkey: ratio(rps("edgegate"), rps("portkey")),
    c32_reqps_route_over_edgegate: ratio(rps("edgegate-route"), rps("edgegate")),
    c32_cpu_us_portkey_over_edgegate: ratio(cpu("portkey", false), cpu("edgegate", true)),
    c1_mean_ms_edgegate_minus_direct: diff(seqMeans("edgegate"), seqMeans("direct")),
    c1_mean_ms_edgegate_minus_portkey: diff(seqMeans("edgegate"), seqMeans("portkey")),
    ttfc_mean_ms_edgegate_minus_direct: diff(streamMeans("edgegate", "ttfc"), streamMeans("direct", "ttfc")),
    ttlc_mean_ms_edgegate_minus_direct: diff(streamMeans("edgegate", "ttlc"), streamMeans("direct", "ttlc")),
  };

  const check = (target: string, value: number | null, pass: (v: number) => boolean, show: (v: number) => string, dirty: string[]): Verdict => {
    if (value === null) return { target, measured: "not measured", verdict: "n/a" };
    const note = dirty.length > 0 ? ` (errors in: ${dirty.join(", ")})` : "";
    return { target, measured: show(value) + note, verdict: pass(value) && dirty.length === 0 ? "PASS" : "FAIL" };
  };
  const dirty = (errors: (n: TargetName) => number, ...who: TargetName[]) => who.filter((n) => errors(n) > 0);
  const verdicts = [
    check("c=32 req/s: edgegate >= 5x Portkey", ratios.c32_reqps_edgegate_over_portkey, (v) => v >= 5, (v) => `${v.toFixed(2)}x`,
      dirty((n) => loadErrors(m.c32[n]), "edgegate", "portkey")),
    check("c=32 req/s: a two-target weighted route within 10% of a plain model", ratios.c32_reqps_route_over_edgegate, (v) => v >= 0.9, (v) => `${v.toFixed(3)}x`,
      dirty((n) => loadErrors(m.c32[n]), "edgegate-route", "edgegate")),
    check("c=1 mean latency: edgegate within 0.5 ms of direct", ratios.c1_mean_ms_edgegate_minus_direct, (v) => v <= 0.5, (v) => `${v >= 0 ? "+" : ""}${v.toFixed(3)} ms`,
      dirty(seqErrs, "edgegate", "direct")),
    check("stream TTFC: edgegate within 2 ms of direct", ratios.ttfc_mean_ms_edgegate_minus_direct, (v) => v <= 2, (v) => `${v >= 0 ? "+" : ""}${v.toFixed(3)} ms`,
      dirty(streamErrs, "edgegate", "direct")),
  ];
  return { rows, ratios, verdicts };
}

function formatCell(c: Cell, decimals: number, flagged: boolean): string {
  if (c === undefined) return "-";
  if (typeof c !== "number") return `failed (status ${c.failed.status || "n/a"})`;
  return (Number.isFinite(c) ? c.toFixed(decimals) : "n/a") + (flagged ? " !" : "");
}

export function formatReport(a: Analysis, names: TargetName[]): string {
  const header = ["metric", ...names];
  const body = a.rows.map((r) => [r.metric, ...names.map((n) => formatCell(r.cells[n], r.decimals, r.flagged.includes(n)))]);
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((line) => (line[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  const out = [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)];
  if (a.rows.some((r) => r.flagged.length > 0)) out.push("! = that target had errors or non-2xx responses in this phase");
  out.push("", "ratios (median over rounds of the paired per-round value):");
  for (const [k, v] of Object.entries(a.ratios)) out.push(`  ${k.padEnd(36)} ${v === null ? "n/a" : String(round(v, 3))}`);
  out.push("", "issue targets:");
  for (const v of a.verdicts) out.push(`  ${v.verdict.padEnd(4)}  ${v.target}: ${v.measured}`);
  return out.join("\n");
}
