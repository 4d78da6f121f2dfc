// Writes the answer a plan asks for: an error, a JSON completion, or an SSE stream, honouring
// delays and the deliberate failures (malformed JSON, dropped connection).
import type { ServerResponse } from "node:http";
import { completionBody, errorBody, StreamShaper } from "./shapes.ts";
import type { Plan } from "./steer.ts";

/** Resolves after `ms`, or at once when the client has gone (so no timer outlives the socket). */
function pause(res: ServerResponse, ms: number): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      res.off("close", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    res.once("close", done);
  });
}

export function sendText(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  const type = body.startsWith("<") ? "text/html; charset=utf-8" : "application/json";
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

export const sendError = (res: ServerResponse, status: number, message: string, code: string): void =>
  sendText(res, status, errorBody(status, message, code));

/** Destroys the socket once what was written has reached it; `onDrop` marks it deliberate. */
function drop(res: ServerResponse, onDrop: () => void, last?: string): void {
  onDrop();
  const kill = () => res.socket?.destroy();
  if (last === undefined) res.flushHeaders();
  res.write(last ?? "", () => setImmediate(kill));
}

/** What a careless provider says about a rejected key: the Authorization it got, and every x-* header value. */
export function echoCredentials(headers: Record<string, string>): string {
  const extra = Object.entries(headers).filter(([k]) => k.startsWith("x-")).map(([k, v]) => `${k}=${v}`);
  return `Incorrect API key provided: ${headers.authorization ?? "(none)"}; headers: ${extra.join(", ")}`;
}

export async function respond(res: ServerResponse, plan: Plan, onDrop: () => void, requestHeaders: () => Record<string, string> = () => ({})): Promise<void> {
  if (plan.firstByteDelayMs > 0) await pause(res, plan.firstByteDelayMs);
  if (res.destroyed) return;

  const headers = plan.echo === undefined ? {} : requestHeaders();
  if (plan.echo === "error") return sendText(res, plan.status ?? 401, errorBody(plan.status ?? 401, echoCredentials(headers), "invalid_api_key"));
  if (plan.echo === "ok_error") return sendText(res, 200, errorBody(400, echoCredentials(headers), "invalid_api_key"));
  if (plan.echo === "stream_error") {
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
    res.write(new StreamShaper(plan).good());
    return void res.end(`data: ${errorBody(401, echoCredentials(headers), "invalid_api_key")}\n\ndata: [DONE]\n\n`);
  }

  if (plan.status !== undefined) {
    const body = plan.errorBody ?? errorBody(plan.status, "mock upstream error", `mock_${plan.status}`);
    return sendText(res, plan.status, body, plan.headers);
  }

  if (!plan.stream) {
    if (plan.malformed === "drop") {
      res.writeHead(200, { "content-type": "application/json", ...plan.headers });
      return drop(res, onDrop);
    }
    const full = completionBody(plan);
    return sendText(res, 200, plan.malformed === "json" ? full.slice(0, Math.floor(full.length / 2)) : full, plan.headers);
  }

  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", ...plan.headers });
  const shaper = new StreamShaper(plan);
  if (plan.malformed === "json") {
    res.write(shaper.good());
    return void res.end("data: {not json\n\n");
  }
  if (plan.malformed === "drop") return drop(res, onDrop, shaper.good());

  res.write(shaper.first());
  const n = shaper.pieces();
  for (let i = 0; i < n; i++) {
    if (plan.delayMs > 0) await pause(res, plan.delayMs);
    if (res.destroyed) return;
    res.write(shaper.piece(i));
  }
  if (plan.delayMs > 0) await pause(res, plan.delayMs);
  if (!res.destroyed) res.end(shaper.end());
}
