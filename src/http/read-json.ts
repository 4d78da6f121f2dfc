import type { z } from "zod";
import { GatewayError } from "./errors.ts";
import { MAX_JSON_DEPTH, nestedDeeperThan, tooDeep } from "./json-depth.ts";
import { readBodyText } from "./read-body.ts";

/** Management bodies are small; this bound keeps a bad client from making us hold much. */
const MANAGEMENT_BODY_LIMIT = 64 * 1024;

/**
 * Reads a JSON body and validates it with zod (API.md: violations answer 400 `invalid_body`
 * naming the field). An empty body is read as `{}` so that all-optional bodies may be omitted.
 */
export async function readJson<S extends z.ZodType>(request: Request, schema: S): Promise<z.output<S>> {
  const text = await readBodyText(request, MANAGEMENT_BODY_LIMIT);
  let raw: unknown = {};
  if (text.trim() !== "") {
    try {
      raw = JSON.parse(text);
    } catch {
      throw new GatewayError(400, "invalid_json", "Request body is not valid JSON.");
    }
    if (nestedDeeperThan(text, MAX_JSON_DEPTH)) throw tooDeep();
  }
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join(".") : null;
  throw new GatewayError(400, "invalid_body", field ? `${field}: ${issue?.message}` : (issue?.message ?? "invalid body"), field);
}
