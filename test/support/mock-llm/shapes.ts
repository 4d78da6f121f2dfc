// Response bodies shaped like OpenAI's chat completions (JSON and SSE chunks). Stream chunks are
// built from a precomputed prefix so the benchmark's baseline spends little time here.
import { randomBytes } from "node:crypto";
import type { Plan } from "./steer.ts";

const WORDS = ["Hello", " from", " mock"];
export const piece = (i: number): string => WORDS[i] ?? ` tok${i}`;

export const TOOL_NAME = "get_weather";
/** Split the way a tokenizer would, so relays must concatenate at least two pieces. */
export const TOOL_ARG_PIECES = ['{"', "city", '":"', "Paris", '"}'];
export const TOOL_ARGS = TOOL_ARG_PIECES.join("");

// Unique per process and per response without a random draw per request.
const RUN = randomBytes(6).toString("hex");
let serial = 0;
const nextId = (prefix: string) => `${prefix}${RUN}${(++serial).toString(36)}`;

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cost?: number;
}

export function usageOf(plan: Plan): Usage {
  const completion = plan.toolCalls ? TOOL_ARG_PIECES.length : plan.chunks;
  const usage: Usage = { prompt_tokens: plan.promptTokens, completion_tokens: completion, total_tokens: plan.promptTokens + completion };
  if (plan.cost !== undefined) usage.cost = plan.cost;
  return usage;
}

export function completionBody(plan: Plan): string {
  const message = plan.toolCalls
    ? {
        role: "assistant",
        content: null,
        tool_calls: [{ id: nextId("call_"), type: "function", function: { name: TOOL_NAME, arguments: TOOL_ARGS } }],
        refusal: null,
      }
    : { role: "assistant", content: Array.from({ length: plan.chunks }, (_, i) => piece(i)).join(""), refusal: null };
  return JSON.stringify({
    id: nextId("chatcmpl-"),
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: plan.model,
    system_fingerprint: null,
    choices: [{ index: 0, message, logprobs: null, finish_reason: plan.toolCalls ? "tool_calls" : "stop" }],
    ...(plan.noUsage ? {} : { usage: usageOf(plan) }),
  });
}

/** Builds the `data: ...\n\n` events of one streamed completion. */
export class StreamShaper {
  private readonly prefix: string;
  private readonly suffix: string;

  constructor(private readonly plan: Plan) {
    const created = Math.floor(Date.now() / 1000);
    this.prefix = `{"id":"${nextId("chatcmpl-")}","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(plan.model)},"system_fingerprint":null,"choices":[`;
    // With include_usage OpenAI puts "usage": null on every chunk but the last.
    this.suffix = this.usageRequested() ? `],"usage":null}\n\n` : `]}\n\n`;
  }

  private usageRequested(): boolean {
    return this.plan.includeUsage && !this.plan.noUsage;
  }

  private event(delta: unknown, finish: string | null): string {
    const reason = finish === null ? "null" : `"${finish}"`;
    return `data: ${this.prefix}{"index":0,"delta":${JSON.stringify(delta)},"logprobs":null,"finish_reason":${reason}}${this.suffix}`;
  }

  /** The opening chunk: the role (and, for tool calls, the call's id and name). */
  first(): string {
    if (!this.plan.toolCalls) return this.event({ role: "assistant", content: "" }, null);
    const call = { index: 0, id: nextId("call_"), type: "function", function: { name: TOOL_NAME, arguments: "" } };
    return this.event({ role: "assistant", content: null, tool_calls: [call], refusal: null }, null);
  }

  /** Number of pieces after the opening chunk. */
  pieces(): number {
    return this.plan.toolCalls ? TOOL_ARG_PIECES.length : this.plan.chunks;
  }

  piece(i: number): string {
    if (!this.plan.toolCalls) return this.event({ content: piece(i) }, null);
    return this.event({ tool_calls: [{ index: 0, function: { arguments: TOOL_ARG_PIECES[i] } }] }, null);
  }

  /** The finishing chunk, the usage chunk when asked for, and [DONE]. */
  end(): string {
    const finish = this.event({}, this.plan.toolCalls ? "tool_calls" : "stop");
    const usage = this.usageRequested() ? `data: ${this.prefix}],"usage":${JSON.stringify(usageOf(this.plan))}}\n\n` : "";
    return `${finish}${usage}data: [DONE]\n\n`;
  }

  /** Malformed stream: one good content chunk. */
  good(): string {
    return this.event({ role: "assistant", content: piece(0) }, null);
  }
}

export function errorBody(status: number, message: string, code: string): string {
  const type = status >= 500 ? "server_error" : "invalid_request_error";
  return JSON.stringify({ error: { message, type, code, param: null } });
}
