import { GatewayError } from "../../http/errors.ts";
import type { RelayContext, RelayedDocument } from "../../proxy/dialect.ts";
import { redactValue } from "../../proxy/redact.ts";
import type { ChatRequest } from "./body.ts";
import { modelRewriter } from "./model-rewrite.ts";
import { asUsage, choicesChars } from "./usage.ts";

/**
 * Reads a whole non-streaming answer (it is one JSON document, so there is nothing to relay
 * early), checks it is JSON, and rewrites its model id without re-serialising it.
 */
export async function relayJson(_chat: ChatRequest, upstream: Response, ctx: RelayContext): Promise<RelayedDocument> {
  const { call, secrets } = ctx;
  const rewriteModel = modelRewriter(ctx.clientModel);
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
