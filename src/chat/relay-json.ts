import { GatewayError } from "../http/errors.ts";
import type { UpstreamCall } from "./upstream-call.ts";
import { asUsage, type Usage } from "./usage.ts";

/**
 * Reads a whole non-streaming answer (it is one JSON document, so there is nothing to relay
 * early), checks it is JSON, and rewrites its model id without re-serialising it.
 */
export async function relayJson(
  upstream: Response,
  call: UpstreamCall,
  rewriteModel: (json: string) => string,
): Promise<{ text: string; usage: Usage | undefined }> {
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
  const usage = typeof parsed === "object" && parsed !== null && "usage" in parsed ? asUsage(parsed.usage) : undefined;
  return { text: rewriteModel(text), usage };
}
