// Long-running commands under test (npm start, npm run dev:*, a README block) in their own process
// group, with what they print, and a check that stopping them leaves no process behind.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";

const OUTPUT_KEPT = 64 * 1024;

export interface Spawned {
  child: ChildProcess;
  /** stdout and stderr so far (the last 64 KiB). */
  output(): string;
  /** Resolves with the first match of `pattern` in the output; rejects if the command exits first. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /** The command's other processes right now (its group and their descendants). */
  descendants(): number[];
  /**
   * Sends `signal` to the whole group (as Ctrl-C does), SIGKILL after `graceMs`. Resolves with how
   * it exited and the descendants still running `graceMs` later (killed then).
   */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<Exit & { leftovers: number[] }>;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function spawnGroup(command: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Spawned {
  const child = spawn(command, args, { ...opts, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let out = "";
  const keep = (chunk: Buffer) => (out = (out + chunk.toString("utf8")).slice(-OUTPUT_KEPT));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<Exit>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const group = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // Nothing left in the group.
    }
  };
  return {
    child,
    output: () => out,
    waitFor: (pattern, timeoutMs) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(out);
          if (!m) return false;
          done();
          resolve(m);
          return true;
        };
        const onExit = (code: number | null) => {
          if (check()) return;
          done();
          reject(new Error(`exited (${code}) before printing ${pattern}:\n${out}`));
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${pattern} within ${timeoutMs / 1000} s:\n${out}`));
        }, timeoutMs);
        const onData = () => void check();
        function done() {
          clearTimeout(timer);
          child.off("exit", onExit);
          child.stdout!.off("data", onData);
          child.stderr!.off("data", onData);
        }
        if (check()) return;
        child.once("exit", onExit);
        child.stdout!.on("data", onData);
        child.stderr!.on("data", onData);
      }),
    descendants: () => familyOf(child.pid!),
    stop: async (signal = "SIGINT", graceMs = 15_000) => {
      // Processes that left the group (a platform server in a group of its own) are killed by
      // pid if the command did not stop them itself.
      const started = familyOf(child.pid!);
      group(signal);
      const force = setTimeout(() => group("SIGKILL"), graceMs);
      const exit = await exited;
      clearTimeout(force);
      const leftovers = await survivors(started, graceMs);
      for (const pid of leftovers) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // Gone meanwhile.
        }
      }
      return { ...exit, leftovers };
    },
  };
}

/**
 * The command's processes: its process group (orphans keep it after the leader exits) and every
 * descendant of those, in whichever group it put itself. From `ps` (Linux and macOS).
 */
export function familyOf(leader: number): number[] {
  const table = execFileSync("ps", ["-A", "-o", "pid=,ppid=,pgid="], { encoding: "utf8" });
  const children = new Map<number, number[]>();
  const family = new Set<number>();
  for (const line of table.trim().split("\n")) {
    const [pid, ppid, pgid] = line.trim().split(/\s+/).map(Number);
    if (pid === undefined || ppid === undefined) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
    if (pgid === leader) family.add(pid);
  }
  const queue = [leader, ...family];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const c of children.get(pid) ?? []) {
      if (family.has(c)) continue;
      family.add(c);
      queue.push(c);
    }
  }
  family.delete(leader);
  return [...family];
}

/** The pids still alive after `waitMs` (polled), or [] once they are all gone. */
export async function survivors(pids: readonly number[], waitMs = 10_000): Promise<number[]> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const alive = pids.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    if (alive.length === 0 || Date.now() > deadline) return alive;
    await new Promise((r) => setTimeout(r, 200));
  }
}
