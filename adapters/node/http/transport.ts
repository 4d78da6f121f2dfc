// A fetch-shaped upstream transport on an undici connection pool. Node's global fetch pays
// for WHATWG streams on every body; this pays only where a stream is really relayed.
import { Agent } from "undici";
import { signalHook, UPSTREAM_ABORT, type FetchLike, type UpstreamInit } from "../../../src/index.ts";
import { UpstreamHandler } from "./upstream-handler.ts";

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
    const body = typeof init.body === "string" ? init.body : init.body == null ? null : await new Response(init.body).text();
    // The core sends its stop hook; other callers (probes) a signal.
    const stop = init[UPSTREAM_ABORT] ?? (init.signal ? signalHook(init.signal) : undefined);
    return new Promise<Response>((resolve, reject) => {
      const handler = new UpstreamHandler(url.href, resolve, reject, stop);
      agent.dispatch({ origin: url.origin, path: url.path, method: init.method ?? "GET", headers: plainHeaders(init.headers), body }, handler);
    });
  };

  return Object.assign(pooledFetch, { close: () => agent.close(), takesStopHook: true });
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
