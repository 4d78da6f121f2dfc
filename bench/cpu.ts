// CPU time spent by a process (all its threads) and by the PostgreSQL server, read from Linux's
// /proc. Requests per second on a shared 2-vCPU box depend on how much CPU the host leaves each
// process; CPU time per request does not, so the report shows both. Elsewhere: undefined.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

// utime and stime in /proc/<pid>/stat are in clock ticks (USER_HZ, 100 on every Linux ABI we
// know of; getconf says for sure).
const ticksPerSecond = (() => {
  try {
    const n = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

interface Stat {
  comm: string;
  seconds: number;
}

function readStat(pid: number | string): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split at the last ")".
  const close = text.lastIndexOf(")");
  const comm = text.slice(text.indexOf("(") + 1, close);
  const fields = text.slice(close + 2).split(" ");
  // After comm, field 3 (state) is index 0, so utime (14) and stime (15) are indexes 11 and 12.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? { comm, seconds: ticks / ticksPerSecond } : undefined;
}

/** CPU seconds used so far by one process, all threads. */
export const processCpuSeconds = (pid: number | undefined): number | undefined => (pid === undefined ? undefined : readStat(pid)?.seconds);

/** CPU seconds used so far by each PostgreSQL server process (postmaster, backends, workers). */
export function postgresCpu(): Map<string, number> | undefined {
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((e) => /^\d+$/.test(e));
  } catch {
    return undefined;
  }
  const out = new Map<string, number>();
  for (const pid of entries) {
    const stat = readStat(pid);
    if (stat?.comm === "postgres") out.set(pid, stat.seconds);
  }
  return out;
}

/**
 * PostgreSQL's CPU seconds between two readings. A backend that started in between counts in
 * full; one that exited in between drops out with what it used in the window (the pool closes
 * idle connections), so this can under-count but never goes below zero.
 */
export function postgresCpuSince(before: Map<string, number> | undefined): number | undefined {
  const after = postgresCpu();
  if (!before || !after) return undefined;
  let total = 0;
  for (const [pid, seconds] of after) total += Math.max(0, seconds - (before.get(pid) ?? 0));
  return total;
}
