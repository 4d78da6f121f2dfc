// Redis replies as ioredis hands them over from `callBuffer` (RESP2), and their REST JSON form.

/** A RESP2 reply: bulk/status strings as raw bytes, integers, nil, nested arrays, nested errors. */
export type Reply = Buffer | number | null | Error | Reply[];

/** What goes into `{"result": ...}`. */
export type JsonReply = string | number | null | JsonReply[];

/** Narrows ioredis's `unknown` result without casting; anything else means a protocol surprise. */
export function toReply(value: unknown): Reply {
  if (value === null || typeof value === "number" || Buffer.isBuffer(value) || value instanceof Error) return value;
  if (Array.isArray(value)) return value.map(toReply);
  // callBuffer should never yield JS strings, but keep their bytes rather than fail if it does.
  if (typeof value === "string") return Buffer.from(value, "utf8");
  throw new TypeError(`unexpected Redis reply of type ${typeof value}`);
}

/**
 * With `Upstash-Encoding: base64` every string (bulk and status, at any depth) is base64 of its
 * raw bytes; the client decodes each string it finds, so integers and nil must stay as they are.
 * An error nested inside an array (only scripts can return one) becomes its message as a string,
 * encoded like any other so the client's decoder does not mangle it.
 */
export function encodeReply(reply: Reply, base64: boolean): JsonReply {
  if (reply === null || typeof reply === "number") return reply;
  if (Array.isArray(reply)) return reply.map((item) => encodeReply(item, base64));
  const bytes = reply instanceof Error ? Buffer.from(reply.message, "utf8") : reply;
  return bytes.toString(base64 ? "base64" : "utf8");
}

/** Redis error replies (ReplyError from redis-errors); anything else is a transport failure. */
export function isRedisError(error: unknown): error is Error {
  return error instanceof Error && error.name === "ReplyError";
}
