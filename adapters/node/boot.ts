// How the Node entry starts and stops: a start-up problem is one line on stderr and exit code 1
// (never a stack trace), and SIGINT/SIGTERM stop it cleanly.
import { ConfigError } from "../../src/index.ts";

export function exitWith(message: string): never {
  console.error(message);
  process.exit(1);
}

/** Runs `build`; a ConfigError (a bad setting) ends the process with its one-line message. */
export function configOrExit<T>(build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (err instanceof ConfigError) exitWith(err.message);
    throw err;
  }
}

/** On SIGINT or SIGTERM: `stop`, then exit. */
export function stopOnSignals(stop: () => Promise<void>): void {
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void stop().finally(() => process.exit(0)));
}
