import { CHARS_PER_TOKEN } from "../../domain/tokens.ts";

// Token estimates without a tokenizer: about four characters per token for English text. They
// size TPM reservations before the call and stand in for usage an upstream did not report;
// reservations are corrected to the real count afterwards, so rough is good enough here.
// They must never fail: an estimate that throws would leave a request unaccounted. So content is
// walked iteratively, with a bound on the values visited, whatever the client sent.

/** Values visited per estimate at most; a body this large is already at the size limit. */
const MAX_VISITS = 100_000;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

/**
 * Characters of message content: text as is; structured content (parts, images, tool-call
 * arguments) as its strings and keys plus a little for each value's punctuation, roughly what
 * its JSON would count. Iterative and bounded: depth and size cannot make it throw.
 */
function contentChars(root: unknown, budget: { visits: number }): number {
  let chars = 0;
  const stack: unknown[] = [root];
  while (stack.length > 0 && budget.visits-- > 0) {
    const v = stack.pop();
    if (typeof v === "string") chars += v.length;
    else if (typeof v === "number" || typeof v === "boolean") chars += 4;
    else if (Array.isArray(v)) {
      chars += 2;
      for (const item of v) stack.push(item);
    } else if (isRecord(v)) {
      chars += 2;
      for (const key in v) {
        chars += key.length + 4;
        stack.push(v[key]);
      }
    }
  }
  return chars;
}

/** Prompt tokens of a chat `messages` array (content and tool-call arguments), at least 1. */
export function estimatePromptTokens(messages: unknown): number {
  let chars = 0;
  const budget = { visits: MAX_VISITS };
  if (Array.isArray(messages)) {
    for (const m of messages) {
      if (!isRecord(m)) continue;
      const content = m.content;
      chars += typeof content === "string" ? content.length : contentChars(content, budget);
      if (m.tool_calls !== undefined) chars += contentChars(m.tool_calls, budget);
    }
  }
  return Math.max(1, Math.ceil(chars / CHARS_PER_TOKEN));
}


const positiveInt = (v: unknown): number | undefined => (typeof v === "number" && Number.isSafeInteger(v) && v > 0 ? v : undefined);

/**
 * The most tokens a request can use: its prompt plus the completion it allows
 * (max_completion_tokens, else max_tokens, else `defaultCompletion`), times `n` choices.
 */
export function estimateRequestTokens(body: Record<string, unknown>, defaultCompletion: number): number {
  const completion = positiveInt(body.max_completion_tokens) ?? positiveInt(body.max_tokens) ?? defaultCompletion;
  const choices = positiveInt(body.n) ?? 1;
  return Math.min(Number.MAX_SAFE_INTEGER, estimatePromptTokens(body.messages) + completion * choices);
}
