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
  /** The model the client named first: `model`, else the first of `models`. */
  model: string;
  /**
   * Every model id the client named, in order: `model`, then the request-level fallbacks of
   * `models` (OpenRouter's convention). The gateway consumes `models`; it is never forwarded.
   */
  models: readonly string[];
  stream: boolean;
  /** The client asked for the usage chunk itself (stream_options.include_usage). */
  wantsUsage: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Request-level fallbacks at most: each is tried in turn, so a long list is a long wait. */
export const MAX_MODELS = 8;

/** `model` and `models` as candidates in order, each checked like `model`, without repeats. */
function candidates(model: unknown, models: unknown): string[] {
  const out: string[] = [];
  if (model !== undefined || models === undefined) out.push(checkModelId(model, "model"));
  if (models === undefined) return out;
  if (!Array.isArray(models) || models.length === 0 || models.length > MAX_MODELS) {
    throw new GatewayError(400, "invalid_model", `\`models\` must be an array of 1 to ${MAX_MODELS} model ids.`, "models");
  }
  for (const m of models) {
    const id = checkModelId(m, "models");
    if (!out.includes(id)) out.push(id);
  }
  return out;
}

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
  const { model, models, messages, stream, stream_options } = raw;
  const ids = candidates(model, models);
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new GatewayError(400, "invalid_body", "`messages` is required and must be a non-empty array.", "messages");
  }
  if (stream !== undefined && stream !== null && typeof stream !== "boolean") {
    throw new GatewayError(400, "invalid_body", "`stream` must be a boolean.", "stream");
  }
  if (stream_options !== undefined && stream_options !== null && !isObject(stream_options)) {
    throw new GatewayError(400, "invalid_body", "`stream_options` must be an object.", "stream_options");
  }
  return { raw, text, model: ids[0]!, models: ids, stream: stream === true, wantsUsage: isObject(stream_options) && stream_options.include_usage === true };
}
