// A platform's own dev server as a child process in its own process group, so that stopping it
// stops whatever it started too (wrangler runs workerd; `deno task` runs deno).
import { spawn, type ChildProcess } from "node:child_process";

const STOP_GRACE_MS = 5_000;

export interface DevChild {
  child: ChildProcess;
  stop(): Promise<void>;
}

export function spawnGroup(command: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): DevChild {
  const child = spawn(command, args, { ...opts, stdio: ["ignore", "inherit", "inherit"], detached: true });
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // The group is already gone.
    }
  };
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.once("error", () => resolve());
  });
  return {
    child,
    stop: async () => {
      signalGroup("SIGTERM");
      const force = setTimeout(() => signalGroup("SIGKILL"), STOP_GRACE_MS);
      await exited;
      clearTimeout(force);
      // Whatever the leader left behind in its group goes too.
      signalGroup("SIGKILL");
    },
  };
}

/** Polls GET /healthz until the server answers, the child exits, or time runs out. */
export async function waitForHealthy(url: string, child: ChildProcess | undefined, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) throw new Error(`the dev server exited (${child.signalCode ?? `code ${child.exitCode}`}) before answering`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url}/healthz did not answer within ${timeoutMs / 1000} s`);
}
