// Usage as OpenAI-compatible upstreams report it, read defensively into the gateway's Usage.
import type { Usage } from "../../domain/usage.ts";

export type { Usage };

// The ledger's token columns are 32-bit integers that must not be negative: an upstream that
// reports garbage must not make the usage row unwritable (and so the request unbilled).
const MAX_TOKENS = 2_147_483_647;

const tokenCount = (v: unknown): number | undefined =>
  typeof v === "number" && Number.isFinite(v) ? Math.min(MAX_TOKENS, Math.max(0, Math.round(v))) : undefined;

export function asUsage(v: unknown): Usage | undefined {
  if (typeof v !== "object" || v === null || !("prompt_tokens" in v) || !("completion_tokens" in v)) return undefined;
  const prompt = tokenCount(v.prompt_tokens);
  const completion = tokenCount(v.completion_tokens);
  if (prompt === undefined || completion === undefined) return undefined;
  const cost = "cost" in v && typeof v.cost === "number" && Number.isFinite(v.cost) && v.cost >= 0 ? v.cost : undefined;
  return cost === undefined ? { prompt_tokens: prompt, completion_tokens: completion } : { prompt_tokens: prompt, completion_tokens: completion, cost };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

/** Characters of generated text in a message or stream delta: content, reasoning, tool arguments. */
export function generatedChars(part: unknown): number {
  if (!isRecord(part)) return 0;
  let n = 0;
  if (typeof part.content === "string") n += part.content.length;
  if (typeof part.reasoning_content === "string") n += part.reasoning_content.length;
  if (typeof part.reasoning === "string") n += part.reasoning.length;
  const calls = part.tool_calls;
  if (Array.isArray(calls)) {
    for (const call of calls) {
      const fn = isRecord(call) ? call.function : undefined;
      if (isRecord(fn) && typeof fn.arguments === "string") n += fn.arguments.length;
    }
  }
  return n;
}

/** Generated characters over every choice of a completion (`message`) or chunk (`delta`). */
export function choicesChars(parsed: object, field: "message" | "delta"): number {
  const choices = "choices" in parsed ? parsed.choices : undefined;
  if (!Array.isArray(choices)) return 0;
  let n = 0;
  for (const choice of choices) if (isRecord(choice)) n += generatedChars(choice[field]);
  return n;
}
