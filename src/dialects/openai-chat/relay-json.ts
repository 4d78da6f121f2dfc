import { GatewayError } from "../../http/errors.ts";
import { redactValue } from "../../proxy/redact.ts";
import type { UpstreamCall } from "../../proxy/upstream-call.ts";
import { asUsage, choicesChars, type Usage } from "./usage.ts";

export interface JsonRelay {
  text: string;
  usage: Usage | undefined;
  /** Characters of generated text, for an estimate when the upstream reported no usage. */
  generatedChars: number;
}

/**
 * Reads a whole non-streaming answer (it is one JSON document, so there is nothing to relay
 * early), checks it is JSON, and rewrites its model id without re-serialising it.
 */
export async function relayJson(
  upstream: Response,
  call: UpstreamCall,
  rewriteModel: (json: string) => string,
  secrets: () => readonly string[],
): Promise<JsonRelay> {
  let text: string;
  try {
    text = await upstream.text();
  } catch (cause) {
    throw call.failure(cause);
  } finally {
    call.finish();
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new GatewayError(502, "upstream_error", "The upstream returned a malformed JSON response.");
  }
  if (typeof parsed !== "object" || parsed === null) return { text: rewriteModel(text), usage: undefined, generatedChars: 0 };
  // An error inside a 200 answer is still the upstream's words: no credential goes back in it.
  if ("error" in parsed) text = JSON.stringify(redactValue(parsed, secrets()));
  const usage = "usage" in parsed ? asUsage(parsed.usage) : undefined;
  return { text: rewriteModel(text), usage, generatedChars: usage ? 0 : choicesChars(parsed, "message") };
}
