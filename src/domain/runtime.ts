// What the platform lends the core per request and per process.

/** Background work that must finish even after the response was sent. */
export type WaitUntil = (promise: Promise<unknown>) => void;

/** Calls `listener` once when the client goes away; returns how to stop listening. */
export type ClientAbortHook = (listener: () => void) => () => void;

export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}
