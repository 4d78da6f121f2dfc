/** Token usage as an upstream reported it, reduced to what accounting needs. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  /** What the upstream says the request cost, in dollars (OpenRouter's `usage.cost`), if it said. */
  cost?: number;
}
