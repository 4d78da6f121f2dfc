// The one request body every target gets; only `model` differs (edgegate wants "openai/…").
import type { BenchOptions } from "./options.ts";
import type { Target } from "./targets.ts";

const MESSAGES = [
  { role: "system", content: "You are a terse assistant." },
  { role: "user", content: "Say hello in five words." },
];

export function chatBody(target: Target, stream: boolean, options?: Pick<BenchOptions, "streamChunks" | "streamDelayMs">): string {
  const body: Record<string, unknown> = { model: target.model, messages: MESSAGES };
  if (stream) body.stream = true;
  const mock: Record<string, number> = {};
  if (options?.streamChunks !== undefined) mock.chunks = options.streamChunks;
  if (options?.streamDelayMs !== undefined) mock.delay_ms = options.streamDelayMs;
  if (Object.keys(mock).length > 0) body.mock = mock;
  return JSON.stringify(body);
}
