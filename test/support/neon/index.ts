// A local Neon SQL-over-HTTP endpoint: what `neon()` from @neondatabase/serverless and drizzle's
// neon-http driver send (POST /sql, one query or a `queries` batch, params as text) answered
// the way Neon answers — Postgres text output in array mode, SQLSTATE errors as 400 bodies.
// Facts from the client's own source (index.mjs of @neondatabase/serverless 1.2.0).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { neonConfig } from "@neondatabase/serverless";
import { BadRequest, openBackend, type BackendSpec, type BatchOptions, type Statement } from "./backend.ts";
import { errorBody, hasSqlState } from "./errors.ts";

export interface NeonStandIn {
  /** The endpoint to give `neonConfig.fetchEndpoint` (http://127.0.0.1:PORT/sql). */
  url: string;
  /** A connection string for the backend database that `neon()` accepts. */
  connectionString: string;
  /** Every statement run, in order (a batch adds each of its statements). */
  readonly queries: string[];
  resetQueries(): void;
  close(): Promise<void>;
}

export interface NeonStandInOptions {
  backend: BackendSpec;
  port?: number;
}

const MAX_BODY = 8 * 1024 * 1024;

export async function startNeonHttp(opts: NeonStandInOptions): Promise<NeonStandIn> {
  const backend = openBackend(opts.backend);
  const queries: string[] = [];
  const defaultDb = opts.backend.kind === "postgres" ? new URL(opts.backend.url).pathname.slice(1) || "postgres" : "pglite";

  const server = createServer((req, res) => {
    handle(req).then(
      ([status, body]) => send(res, status, body),
      // Neon answers query and request errors with 400 (the client builds NeonDbError only from
      // those); anything else is the server's own failure.
      (err: unknown) => send(res, err instanceof BadRequest || hasSqlState(err) ? 400 : 500, errorBody(err)),
    );
  });

  async function handle(req: IncomingMessage): Promise<[number, unknown]> {
    if (req.method !== "POST") return [405, { message: "only POST is supported" }];
    const database = databaseOf(req.headers["neon-connection-string"]);
    const payload = parsePayload(await readBody(req));
    if ("queries" in payload) {
      queries.push(...payload.queries.map((q) => q.query));
      const results = await backend.batch(database, payload.queries, batchOptions(req));
      return [200, { results: results.map(arrayMode) }];
    }
    queries.push(payload.query);
    return [200, arrayMode(await backend.run(database, payload))];
  }

  function databaseOf(header: string | string[] | undefined): string {
    if (typeof header !== "string") throw new BadRequest("missing Neon-Connection-String header");
    let url: URL;
    try {
      url = new URL(header);
    } catch {
      throw new BadRequest("Neon-Connection-String is not a URL");
    }
    if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") throw new BadRequest("Neon-Connection-String must be postgres(ql)://");
    return decodeURIComponent(url.pathname.slice(1)) || defaultDb;
  }

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/sql`,
    connectionString: `postgresql://neon:standin@db.localtest.me/${defaultDb}`,
    queries,
    resetQueries: () => void queries.splice(0),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await backend.close();
    },
  };
}

/** Points the (global) Neon client configuration at a stand-in. */
export function pointNeonClientAt(standIn: Pick<NeonStandIn, "url">): void {
  neonConfig.fetchEndpoint = standIn.url;
}

const arrayMode = <T extends object>(result: T) => ({ ...result, rowAsArray: true });

function batchOptions(req: IncomingMessage): BatchOptions {
  const h = (name: string) => {
    const v = req.headers[name];
    return typeof v === "string" ? v : undefined;
  };
  const level = h("neon-batch-isolation-level");
  return {
    ...(level !== undefined ? { isolationLevel: level } : {}),
    readOnly: h("neon-batch-read-only") === "true",
    deferrable: h("neon-batch-deferrable") === "true",
  };
}

function parseStatement(value: unknown): Statement {
  if (typeof value !== "object" || value === null) throw new BadRequest("each query must be an object");
  const query: unknown = Reflect.get(value, "query");
  const params: unknown = Reflect.get(value, "params") ?? [];
  if (typeof query !== "string") throw new BadRequest("query must be a string");
  if (!Array.isArray(params) || !params.every((p) => p === null || typeof p === "string")) {
    throw new BadRequest("params must be an array of strings or nulls");
  }
  return { query, params };
}

function parsePayload(text: string): Statement | { queries: Statement[] } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new BadRequest("request body is not JSON");
  }
  if (typeof body === "object" && body !== null && "queries" in body) {
    if (!Array.isArray(body.queries)) throw new BadRequest("queries must be an array");
    return { queries: body.queries.map(parseStatement) };
  }
  return parseStatement(body);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > MAX_BODY) throw new BadRequest("request body too large");
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
