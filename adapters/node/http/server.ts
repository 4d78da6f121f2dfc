// Serves a web-standard fetch handler on node:http: IncomingMessage -> (lightweight) Request,
// Response -> ServerResponse, with client disconnects turned into an aborted request signal.
import { createServer, ServerResponse, type IncomingMessage, type Server } from "node:http";
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { ExecutionContextLike } from "../../../src/index.ts";
import { DocumentResponse } from "./document-response.ts";
import { RecordHeaders } from "./record-headers.ts";
import { NodeRequest } from "./request.ts";

export type FetchHandler = (request: Request, ctx?: ExecutionContextLike) => Promise<Response>;

export interface NodeServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

export function serveNode(handler: FetchHandler, port: number, host = "127.0.0.1", ctx?: ExecutionContextLike): Promise<NodeServer> {
  const server = createServer((req, res) => {
    void handle(handler, req, res, ctx);
  });
  server.keepAliveTimeout = 65_000;
  server.on("clientError", answerClientError);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const { port: actual } = server.address() as AddressInfo;
      resolve({
        server,
        url: `http://${host}:${actual}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

// Requests node:http refuses before any handler runs (headers over its 16 KB limit, a malformed
// request line) would get node's bare status line with an empty body; they get the one error
// shape like every other refusal. The connection is closed after it: its framing is unknown.
const CLIENT_ERRORS: Record<string, [number, string, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, "Request Header Fields Too Large", "headers_too_large", "The request headers exceed the server's 16 KB limit."],
};
const MALFORMED: [number, string, string, string] = [400, "Bad Request", "invalid_request", "The request is not valid HTTP."];

function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  // An answer already under way owns the socket: a status line written now would land inside its body (node's own rule).
  if (err.code === "ECONNRESET" || !socket.writable || ("_httpMessage" in socket && socket._httpMessage instanceof ServerResponse && socket._httpMessage.headersSent)) return void socket.destroy();
  const [status, reason, code, message] = CLIENT_ERRORS[err.code ?? ""] ?? MALFORMED;
  const body = JSON.stringify({ error: { message, type: "invalid_request_error", code, param: null } });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${randomUUID()}\r\nconnection: close\r\n\r\n${body}`,
  );
}

async function handle(handler: FetchHandler, req: IncomingMessage, res: ServerResponse, ctx?: ExecutionContextLike) {
  const request = new NodeRequest(req, `http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`);
  res.once("close", () => {
    if (!res.writableFinished) request.abort();
  });
  // Per request: the disconnect hook belongs to this request (see NodeRequest.onAbort).
  const requestCtx: ExecutionContextLike = { onClientAbort: (listener) => request.onAbort(listener) };
  if (ctx?.waitUntil) requestCtx.waitUntil = (p) => ctx.waitUntil?.(p);
  let response: Response;
  try {
    response = await handler(request, requestCtx);
  } catch (err) {
    // The core answers every error itself; reaching here is a bug, never shown to the client.
    return internalError(res, "handler threw", err);
  }
  try {
    await writeResponse(response, res, request);
  } catch (err) {
    // Headers node refuses (invalid characters) or a body that broke: never an unhandled rejection.
    internalError(res, "response write failed", err);
  }
}

function internalError(res: ServerResponse, what: string, err: unknown): void {
  console.error(JSON.stringify({ level: "error", msg: what, error: String(err) }));
  if (res.headersSent) return void res.destroy();
  res.writeHead(500, { "content-type": "application/json" });
  res.end('{"error":{"message":"The gateway hit an internal error.","type":"api_error","code":"internal_error","param":null}}');
}

function plainHeaders(h: Headers): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  h.forEach((v, k) => {
    if (k !== "set-cookie") out[k] = v;
  });
  const cookies = h.getSetCookie();
  if (cookies.length > 0) out["set-cookie"] = cookies;
  return out;
}

async function writeResponse(response: Response, res: ServerResponse, request: NodeRequest) {
  const text = response instanceof DocumentResponse ? response.takeText() : null;
  if (text !== null) {
    // Our own record goes to node as it is: no copy, no Headers iteration.
    const headers = response.headers instanceof RecordHeaders ? response.headers : new RecordHeaders(plainHeaders(response.headers));
    headers.record["content-length"] = String(Buffer.byteLength(text));
    res.writeHead(response.status, headers.record);
    return void res.end(text);
  }
  const headers = plainHeaders(response.headers);
  if (!response.body) {
    res.writeHead(response.status, headers);
    return void res.end();
  }
  // Only event streams are relayed piece by piece; any other body is one document, written in
  // one go with a length (fewer syscalls, no chunked framing).
  if (!response.headers.get("content-type")?.startsWith("text/event-stream")) {
    const body = new Uint8Array(await response.arrayBuffer());
    headers["content-length"] = String(body.byteLength);
    res.writeHead(response.status, headers);
    return void res.end(body);
  }
  res.writeHead(response.status, headers);
  const reader = response.body.getReader();
  let gone = false;
  request.onAbort(() => {
    gone = true;
    void reader.cancel().catch(() => {});
  });
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      // Respect backpressure: a slow client must not make us buffer the whole stream.
      if (!res.write(value)) await new Promise<void>((r) => res.once("drain", r).once("close", r));
      if (gone) return;
    }
    res.end();
  } catch {
    res.destroy();
  }
}
