import { GatewayError } from "./errors.ts";

const tooLarge = (limit: number) =>
  new GatewayError(413, "body_too_large", `Request body exceeds the ${limit}-byte limit.`);

/**
 * Reads a request body as text without ever holding more than `limit` bytes: a declared
 * length over the limit is refused before reading, an undeclared one is counted as it streams.
 */
export async function readBodyText(request: Request, limit: number): Promise<string> {
  const declared = request.headers.get("content-length");
  if (declared !== null) {
    const n = Number(declared);
    if (n > limit) throw tooLarge(limit);
    if (Number.isFinite(n)) {
      const text = await request.text();
      // A lying content-length cannot smuggle more through: the runtime enforces it, but check anyway.
      if (text.length > limit) throw tooLarge(limit);
      return text;
    }
  }
  if (!request.body) return "";
  const reader = request.body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await drain(reader, limit);
      throw tooLarge(limit);
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

/**
 * Reads and drops up to `bound` more bytes before giving up on the body. Hanging up on a client
 * that is still sending can reset the connection before it reads our 413 (and some runtimes'
 * request plumbing stalls on a cancelled body), so a modest overrun is drained instead.
 */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>, bound: number): Promise<void> {
  let dropped = 0;
  while (dropped <= bound) {
    const { done, value } = await reader.read();
    if (done) return;
    dropped += value.byteLength;
  }
  await reader.cancel();
}
