// A fetch-shaped upstream transport on an undici connection pool. Node's global fetch pays
// for WHATWG streams on every body; this pays only where a stream is really relayed.
import { Readable } from "node:stream";
import { Agent, type Dispatcher } from "undici";
import type { FetchLike } from "../../src/index.ts";
import { DocumentResponse } from "./document-response.ts";

export interface PooledFetchOptions {
  connectionsPerOrigin?: number;
}

export function createPooledFetch(opts: PooledFetchOptions = {}): FetchLike & { close(): Promise<void> } {
  const agent = new Agent({
    connections: opts.connectionsPerOrigin ?? 128,
    keepAliveTimeout: 30_000,
    pipelining: 1,
  });

  const pooledFetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    if (input instanceof Request) return fetch(input, init); // not used by the core; keep it correct anyway
    const url = new URL(input);
    const headers = plainHeaders(init.headers);
    const res = await agent.request({
      origin: url.origin,
      path: url.pathname + url.search,
      method: (init.method ?? "GET") as Dispatcher.HttpMethod,
      headers,
      body: typeof init.body === "string" ? init.body : init.body == null ? null : await new Response(init.body).text(),
      signal: init.signal ?? undefined,
    });
    const responseHeaders = new Headers();
    for (const [k, v] of Object.entries(res.headers)) {
      if (Array.isArray(v)) for (const item of v) responseHeaders.append(k, item);
      else if (v !== undefined) responseHeaders.set(k, v);
    }
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

function plainHeaders(h: HeadersInit | undefined): Record<string, string> {
  if (h === undefined) return {};
  if (h instanceof Headers || Array.isArray(h)) return Object.fromEntries(new Headers(h));
  return h;
}
