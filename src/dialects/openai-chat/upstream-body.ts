import type { ChatRequest } from "./body.ts";
import { modelValueSpan, spliceSpan } from "./model-field.ts";
import type { UpstreamTarget } from "../../domain/target.ts";

/**
 * The body the upstream receives: the client's own, with `model` rewritten to the upstream's
 * id, `models` removed and, for streams, usage reporting switched on so the gateway can account
 * for it.
 */
export function upstreamBody(chat: ChatRequest, route: Pick<UpstreamTarget, "upstreamModel">): string {
  // `models` is the gateway's to consume: a body that has it is written anew, without it.
  const consumed = chat.raw.models !== undefined;
  if (!chat.stream && !consumed) {
    const spliced = spliceModel(chat.text, chat.model, route.upstreamModel);
    if (spliced !== null) return spliced;
  }
  const { models: _fallbacks, ...forwarded } = chat.raw;
  const out: Record<string, unknown> = { ...forwarded, model: route.upstreamModel };
  if (chat.stream) {
    const given = chat.raw.stream_options;
    out.stream_options = typeof given === "object" && given !== null ? { ...given, include_usage: true } : { include_usage: true };
  }
  return JSON.stringify(out);
}

/**
 * The client's own text with the model id swapped, when that is unambiguous: the upstream must
 * read exactly the request the gateway read, authorised and billed. JSON.parse keeps the last of
 * duplicate keys while some upstream parsers keep the first, so the text must hold `"model"`
 * exactly once (as the key whose value is written the way JSON.stringify writes the id), `"stream"`
 * at most once, and no `\u` escape (the only escape that can spell a key's letters, as in
 * `"mod\u0065l"`). Anything else takes the re-serialising path, which writes each key once.
 * Cheaper than re-serialising the whole body, and every other byte goes through as sent.
 */
function spliceModel(text: string, from: string, to: string): string | null {
  if (text.includes("\\u")) return null;
  const first = text.indexOf('"model"');
  if (first === -1 || text.indexOf('"model"', first + 1) !== -1) return null;
  const stream = text.indexOf('"stream"');
  if (stream !== -1 && text.indexOf('"stream"', stream + 1) !== -1) return null;
  const span = modelValueSpan(text);
  if (span === null || text.slice(span[0], span[1]) !== JSON.stringify(from)) return null;
  return spliceSpan(text, span, JSON.stringify(to));
}

/** A plain record rather than Headers: transports can use it as-is. */
export function upstreamHeaders(route: Pick<UpstreamTarget, "apiKey" | "extraHeaders">, stream: boolean): Record<string, string> {
  return {
    ...route.extraHeaders,
    authorization: `Bearer ${route.apiKey}`,
    "content-type": "application/json",
    accept: stream ? "text/event-stream" : "application/json",
  };
}
