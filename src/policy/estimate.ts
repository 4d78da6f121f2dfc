// Token estimates without a tokenizer: about four characters per token for English text. They
// size TPM reservations before the call and stand in for usage an upstream did not report;
// reservations are corrected to the real count afterwards, so rough is good enough here.

const CHARS_PER_TOKEN = 4;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

/** Characters of a message's content: text as is, structured content (parts, images) as JSON. */
function contentChars(content: unknown): number {
  if (typeof content === "string") return content.length;
  if (content === undefined || content === null) return 0;
  return JSON.stringify(content).length;
}

/** Prompt tokens of a chat `messages` array (content and tool-call arguments), at least 1. */
export function estimatePromptTokens(messages: unknown): number {
  let chars = 0;
  if (Array.isArray(messages)) {
    for (const m of messages) {
      if (!isRecord(m)) continue;
      chars += contentChars(m.content);
      if (m.tool_calls !== undefined) chars += contentChars(m.tool_calls);
    }
  }
  return Math.max(1, Math.ceil(chars / CHARS_PER_TOKEN));
}

export const tokensForChars = (chars: number): number => Math.ceil(chars / CHARS_PER_TOKEN);

const positiveInt = (v: unknown): number | undefined => (typeof v === "number" && Number.isInteger(v) && v > 0 ? v : undefined);

/**
 * The most tokens a request can use: its prompt plus the completion it allows
 * (max_completion_tokens, else max_tokens, else `defaultCompletion`), times `n` choices.
 */
export function estimateRequestTokens(body: Record<string, unknown>, defaultCompletion: number): number {
  const completion = positiveInt(body.max_completion_tokens) ?? positiveInt(body.max_tokens) ?? defaultCompletion;
  const choices = positiveInt(body.n) ?? 1;
  return estimatePromptTokens(body.messages) + completion * choices;
}
