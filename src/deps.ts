import type { Config } from "./config/schema.ts";

/** The upstream transport: any function shaped like the standard fetch. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Background work that must finish even after the response was sent. */
export type WaitUntil = (promise: Promise<unknown>) => void;

export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Everything platform-specific, handed over by an adapter. The core reads nothing else. */
export interface GatewayDeps {
  config: Config;
  fetch: FetchLike;
  /** Used when the platform passes no execution context with the request. */
  waitUntil?: WaitUntil;
  logger?: Logger;
  now?: () => number;
}

/** What a platform passes along with each request (Workers' ExecutionContext and the like). */
export interface ExecutionContextLike {
  waitUntil?(promise: Promise<unknown>): void;
}

export const consoleLogger: Logger = {
  info: (msg, fields) => console.log(JSON.stringify({ level: "info", msg, ...fields })),
  warn: (msg, fields) => console.warn(JSON.stringify({ level: "warn", msg, ...fields })),
  error: (msg, fields) => console.error(JSON.stringify({ level: "error", msg, ...fields })),
};
