import { GatewayError } from "../../http/errors.ts";
import { MAX_JSON_DEPTH, nestedDeeperThan, tooDeep } from "../../http/json-depth.ts";
import { checkModelId } from "../../routing/model-id.ts";

/**
 * The chat request as the client sent it. Only the fields the gateway acts on are checked and
 * lifted out; `raw` keeps every field as sent so it can be forwarded untouched.
 */
export interface ChatRequest {
  raw: Record<string, unknown>;
  /** The body exactly as received. */
  text: string;
  model: string;
  stream: boolean;
  /** The client asked for the usage chunk itself (stream_options.include_usage). */
  wantsUsage: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

// Hand-written rather than zod: this runs on every request and checks a handful of fields.
// Everything that can make a request unservable or unaccountable is refused here, before any
// upstream is called: bad JSON, runaway nesting, a model id no header or ledger row can carry.
export function parseChatBody(text: string): ChatRequest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new GatewayError(400, "invalid_json", "Request body is not valid JSON.");
  }
  if (!isObject(raw)) throw new GatewayError(400, "invalid_body", "Request body must be a JSON object.");
  if (nestedDeeperThan(text, MAX_JSON_DEPTH)) throw tooDeep();
  const { model, messages, stream, stream_options } = raw;
  const id = checkModelId(model, "model");
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new GatewayError(400, "invalid_body", "`messages` is required and must be a non-empty array.", "messages");
  }
  if (stream !== undefined && stream !== null && typeof stream !== "boolean") {
    throw new GatewayError(400, "invalid_body", "`stream` must be a boolean.", "stream");
  }
  if (stream_options !== undefined && stream_options !== null && !isObject(stream_options)) {
    throw new GatewayError(400, "invalid_body", "`stream_options` must be an object.", "stream_options");
  }
  return { raw, text, model: id, stream: stream === true, wantsUsage: isObject(stream_options) && stream_options.include_usage === true };
}
