import type { KeyHasher } from "./auth/hash-key.ts";
import type { Config } from "./config/schema.ts";
import type { ClientAbortHook } from "./http/context.ts";
import type { Db } from "./store/db.ts";
import type { ClientIpSource } from "./policy/client-ip.ts";
import type { CounterStore } from "./counters/index.ts";

/**
 * RequestInit key under which the core hands a transport the upstream call's stop hook, in place
 * of an AbortSignal (on Node 20 an AbortSignal per call is a measurable cost). Only a transport
 * that says it takes the hook (`takesStopHook`) gets it; any other gets `signal`.
 */
export const UPSTREAM_ABORT: unique symbol = Symbol.for("edgegate.upstreamAbort");
export type UpstreamInit = RequestInit & { [UPSTREAM_ABORT]?: ClientAbortHook };

/** The upstream transport: any function shaped like the standard fetch. */
export type FetchLike = ((input: string | URL | Request, init?: UpstreamInit) => Promise<Response>) & {
  /** True when the transport stops a call through init[UPSTREAM_ABORT] rather than init.signal. */
  takesStopHook?: boolean;
};

/**
 * Builds a whole-document response (JSON text). The default is `new Response(text, init)`; an
 * adapter whose runtime has a cheaper equivalent may hand one over (the Node adapter does: a
 * Node 20 Response over a string builds a byte stream only for the server to read it back).
 */
export type DocumentFactory = (text: string, init: { status: number; headers: Record<string, string> }) => Response;

export const standardDocument: DocumentFactory = (text, init) => new Response(text, init);

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
  /** Postgres through drizzle: neon-http on the edge, PGlite or node-postgres on Node. */
  db: Db;
  /** Rate counters: Upstash on the edge, Upstash or memory on Node. */
  counters: CounterStore;
  /** Used when the platform passes no execution context with the request. */
  waitUntil?: WaitUntil;
  logger?: Logger;
  now?: () => number;
  document?: DocumentFactory;
  /**
   * SHA-256 hex for API-key lookups. Web Crypto's async digest is the default; on Node 20 it
   * costs a thread-pool round trip per request, so the Node adapter hands over a synchronous one.
   */
  hashKey?: KeyHasher;
  /**
   * The caller's IP from the platform's trusted source (src/policy/client-ip.ts), for anonymous
   * rate limits. Absent or null: every such caller shares one "unknown" bucket.
   */
  clientIp?: ClientIpSource;
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
