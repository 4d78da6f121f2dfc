// A fetch-shaped upstream transport on an undici connection pool. Node's global fetch pays
// for WHATWG streams on every body; this pays only where a stream is really relayed.
import { Readable } from "node:stream";
import { Agent, type Dispatcher } from "undici";
import { UPSTREAM_ABORT, type ClientAbortHook, type FetchLike, type UpstreamInit } from "../../src/index.ts";
import { DocumentResponse } from "./document-response.ts";
import { RecordHeaders } from "./record-headers.ts";

export interface PooledFetchOptions {
  connectionsPerOrigin?: number;
}

export function createPooledFetch(opts: PooledFetchOptions = {}): FetchLike & { close(): Promise<void> } {
  const agent = new Agent({
    connections: opts.connectionsPerOrigin ?? 128,
    keepAliveTimeout: 30_000,
    pipelining: 1,
  });

  const pooledFetch = async (input: string | URL | Request, init: UpstreamInit = {}): Promise<Response> => {
    if (input instanceof Request) return fetch(input, init); // not used by the core; keep it correct anyway
    const url = target(String(input));
    const stopHook = init[UPSTREAM_ABORT];
    const headers = plainHeaders(init.headers);
    const res = await agent.request({
      origin: url.origin,
      path: url.path,
      method: (init.method ?? "GET") as Dispatcher.HttpMethod,
      headers,
      body: typeof init.body === "string" ? init.body : init.body == null ? null : await new Response(init.body).text(),
      signal: stopHook ? new HookSignal(stopHook) : (init.signal ?? undefined),
    });
    // undici hands over a fresh record with lower-case names: wrap it rather than copy it.
    const responseHeaders = new RecordHeaders(res.headers);
    const init2 = { status: res.statusCode, headers: responseHeaders };
    if (res.statusCode === 204 || res.statusCode === 304) {
      res.body.resume();
      return new Response(null, init2);
    }
    // Event streams are relayed chunk by chunk; anything else is one document the core reads whole.
    if (responseHeaders.get("content-type")?.includes("text/event-stream")) {
      return new Response(Readable.toWeb(res.body) as ReadableStream<Uint8Array>, init2);
    }
    return new DocumentResponse(await res.body.text(), res.statusCode, responseHeaders, url.href);
  };

  return Object.assign(pooledFetch, { close: () => agent.close() });
}

/**
 * The part of an AbortSignal undici uses (it takes any EventTarget-shaped signal), fed by the
 * core's stop hook instead of an AbortController per call.
 */
class HookSignal {
  aborted = false;
  readonly reason = undefined;
  #listeners: (() => void)[] = [];
  #unhook: () => void;

  constructor(hook: ClientAbortHook) {
    this.#unhook = hook(() => {
      this.aborted = true;
      for (const listener of this.#listeners.splice(0)) listener();
    });
  }

  addEventListener(_type: "abort", listener: () => void): void {
    if (this.aborted) listener();
    else this.#listeners.push(listener);
  }

  /** undici lets go once the body is read or the request failed: stop listening to the call too. */
  removeEventListener(_type: "abort", listener: () => void): void {
    const i = this.#listeners.indexOf(listener);
    if (i >= 0) this.#listeners.splice(i, 1);
    if (this.#listeners.length === 0) this.#unhook();
  }
}

interface Target {
  origin: string;
  path: string;
  href: string;
}

// The core calls a handful of upstream URLs over and over; parse each once.
const targets = new Map<string, Target>();
const MAX_TARGETS = 1024;

function target(href: string): Target {
  let t = targets.get(href);
  if (t) return t;
  const url = new URL(href);
  t = { origin: url.origin, path: url.pathname + url.search, href: url.href };
  if (targets.size >= MAX_TARGETS) targets.clear();
  targets.set(href, t);
  return t;
}

function plainHeaders(h: HeadersInit | undefined): Record<string, string> {
  if (h === undefined) return {};
  if (h instanceof Headers || Array.isArray(h)) return Object.fromEntries(new Headers(h));
  return h;
}
