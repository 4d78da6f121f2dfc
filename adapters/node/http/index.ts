// A fast web-standard HTTP layer for Node, the way @hono/node-server stands apart from Hono: a
// server that hands a fetch handler lightweight Requests and writes its Responses (whole documents
// without a stream in between), and an undici-pooled upstream transport. It knows nothing of the
// gateway; main.ts wires the two together.
export { serveNode, type FetchHandler, type NodeServer } from "./server.ts";
export { NodeRequest } from "./request.ts";
export { RecordHeaders } from "./record-headers.ts";
export { DocumentResponse, documentFactory } from "./document-response.ts";
export { createPooledFetch, type PooledFetchOptions } from "./transport.ts";
export { nodeHashKey } from "./hash-key.ts";
export { listenFailure } from "./listen-error.ts";
