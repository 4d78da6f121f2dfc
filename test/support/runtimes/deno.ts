// The Deno adapter under the real `deno` binary (from the npm package), with the least it needs:
// net and env (modules load without --allow-read, which `deno task start` also grants).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;
/** Enough of the child's stderr to explain a failed start, without growing for a whole suite. */
const STDERR_KEPT = 16 * 1024;

function denoBinary(): string {
  const require = createRequire(import.meta.url);
  // The package's postinstall copies the platform binary next to its launcher; if that was
  // skipped, its install API finds the binary in the platform package instead.
  const beside = join(dirname(require.resolve("deno/package.json")), process.platform === "win32" ? "deno.exe" : "deno");
  if (existsSync(beside)) return beside;
  const api: { runInstall(): string } = require("deno/install_api.cjs");
  return api.runInstall();
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const force = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

export async function startDeno(env: Record<string, string>): Promise<{ url: string; close(): Promise<void> }> {
  const args = ["run", "--allow-net", "--allow-env", "--no-prompt", "adapters/deno/main.ts"];
  const child = spawn(denoBinary(), args, {
    cwd: root,
    // Only what the gateway is given, plus what deno itself needs to find its cache.
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1", ...env, PORT: "0", HOST: "127.0.0.1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr = (stderr + d).slice(-STDERR_KEPT)));

  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    const fail = (why: string) => {
      cleanup();
      void stop(child);
      reject(new Error(`deno ${why}\n--- stderr ---\n${stderr}\n--- stdout ---\n${out}`));
    };
    const timer = setTimeout(() => fail(`did not report a listening URL within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    const onExit = (code: number | null, signal: string | null) => fail(`exited during start-up (${signal ?? `code ${code}`})`);
    const onError = (err: Error) => fail(`could not be spawned: ${err.message}`);
    const onData = (d: string) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (!m) return;
      cleanup();
      resolve(m[1]!);
    };
    function cleanup() {
      clearTimeout(timer);
      child.off("exit", onExit).off("error", onError);
      child.stdout!.off("data", onData);
      // Keep draining stdout so request logs never fill the pipe and stall the server.
      child.stdout!.resume();
    }
    child.once("exit", onExit).once("error", onError);
    child.stdout!.setEncoding("utf8").on("data", onData);
  });
  return { url, close: () => stop(child) };
}
