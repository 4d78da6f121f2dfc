// The static model catalog of the built-in providers, listed by GET /v1/models. Any model id
// of an enabled provider can still be requested: providers add models faster than we ship.
export const STATIC_CATALOG: Readonly<Record<string, readonly string[]>> = {
  openai: ["gpt-4o-mini", "gpt-4o", "gpt-4.1", "gpt-4.1-mini", "o4-mini"],
  openrouter: ["openai/gpt-4o-mini", "anthropic/claude-sonnet-4", "meta-llama/llama-3.3-70b-instruct"],
  groq: ["llama-3.1-8b-instant", "llama-3.3-70b-versatile"],
  together: ["meta-llama/Llama-3.3-70B-Instruct-Turbo", "Qwen/Qwen2.5-72B-Instruct-Turbo"],
};
