import { GatewayError } from "../http/errors.ts";

// A model id travels into a response header (x-gateway-model), the upstream's body and a ledger
// row, so it is checked where it enters: bounded in length, well-formed text, nothing a header
// or a Postgres text column cannot carry.

/** A 64-character provider id, a slash and a 256-character model id (the custom-upstream limits). */
export const MODEL_ID_MAX = 321;

// Control characters (C0, DEL, C1) and the Unicode line/paragraph separators break headers, logs
// and line-based parsers; NUL cannot be stored in Postgres text at all.
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// A lone surrogate cannot be encoded as UTF-8 (encodeURIComponent throws; TextEncoder replaces it).
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why `id` is not a usable model id, or null when it is. */
export function modelIdProblem(id: string): string | null {
  if (id.trim() === "") return "must be a non-empty string";
  if (id.length > MODEL_ID_MAX) return `must be at most ${MODEL_ID_MAX} characters`;
  if (id.trim() !== id) return "must not start or end with whitespace";
  if (FORBIDDEN.test(id)) return "must not contain control characters";
  if (LONE_SURROGATE.test(id)) return "must be well-formed Unicode (it holds an unpaired surrogate)";
  return null;
}

/** Throws 400 invalid_model naming `param` unless `value` is a usable model id. */
export function checkModelId(value: unknown, param: string): string {
  if (typeof value !== "string") throw new GatewayError(400, "invalid_model", `\`${param}\` is required and must be a non-empty string.`, param);
  const problem = modelIdProblem(value);
  if (problem !== null) throw new GatewayError(400, "invalid_model", `\`${param}\` ${problem}.`, param);
  return value;
}

/** `<provider>/<model>`: the provider is everything before the first slash. */
export function splitModel(model: string): { providerId: string; upstreamModel: string } {
  const slash = model.indexOf("/");
  if (slash <= 0 || slash === model.length - 1) {
    throw new GatewayError(404, "model_not_found", `Model "${model}" does not exist. Use "<provider>/<model>"; see GET /v1/models.`, "model");
  }
  return { providerId: model.slice(0, slash), upstreamModel: model.slice(slash + 1) };
}
