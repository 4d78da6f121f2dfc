/** Token usage as OpenAI-compatible upstreams report it. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens?: number;
  [k: string]: unknown;
}

export function asUsage(v: unknown): Usage | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const u = v as Record<string, unknown>;
  return typeof u.prompt_tokens === "number" && typeof u.completion_tokens === "number"
    ? (u as Usage)
    : undefined;
}
