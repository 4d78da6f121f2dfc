import type { KeyHasher } from "../auth/hash-key.ts";
import type { Config } from "../config/schema.ts";
import type { CounterStore } from "../counters/index.ts";
import type { ClientAbortHook, Logger, WaitUntil } from "../domain/runtime.ts";
import type { DocumentFactory } from "../http/document.ts";
import type { ClientIpSource } from "../policy/client-ip.ts";
import type { FetchLike } from "../proxy/fetch-like.ts";
import type { Db } from "../store/db.ts";

export type { ClientAbortHook, DocumentFactory, FetchLike, Logger, WaitUntil };
export { UPSTREAM_ABORT, type UpstreamInit } from "../proxy/fetch-like.ts";

/**
 * What only some runtimes offer, each a faster stand-in for a web-standard default. The Node
 * adapter hands these over; the core works without any of them.
 */
export interface FastPaths {
  /** A cheaper whole-document Response (default: `new Response(text, init)`). */
  document?: DocumentFactory;
  /**
   * SHA-256 hex for API-key lookups. Web Crypto's async digest is the default; on Node 20 it
   * costs a thread-pool round trip per request, so the Node adapter hands over a synchronous one.
   */
  hashKey?: KeyHasher;
}

/** Everything platform-specific, handed over by an adapter. The core reads nothing else. */
export interface GatewayDeps {
  config: Config;
  fetch: FetchLike;
  /** Postgres through drizzle: neon-http on the edge, PGlite or node-postgres on Node. */
  db: Db;
  /** Rate counters: Upstash on the edge, Upstash or memory on Node. */
  counters: CounterStore;
  /** Used when the platform passes no execution context with the request. */
  waitUntil?: WaitUntil;
  logger?: Logger;
  now?: () => number;
  /**
   * The caller's IP from the platform's trusted source (the adapter's client-ip.ts), for
   * anonymous rate limits. Absent or null: every such caller shares one "unknown" bucket.
   */
  clientIp?: ClientIpSource;
  fast?: FastPaths;
}

/** What a platform passes along with each request (Workers' ExecutionContext and the like). */
export interface ExecutionContextLike {
  waitUntil?(promise: Promise<unknown>): void;
  /**
   * Disconnect notification cheaper than `request.signal` (on Node 20 an AbortSignal per
   * request is a measurable cost); the core falls back to the signal when it is absent.
   */
  onClientAbort?: ClientAbortHook;
}

export const consoleLogger: Logger = {
  info: (msg, fields) => console.log(JSON.stringify({ level: "info", msg, ...fields })),
  warn: (msg, fields) => console.warn(JSON.stringify({ level: "warn", msg, ...fields })),
  error: (msg, fields) => console.error(JSON.stringify({ level: "error", msg, ...fields })),
};
