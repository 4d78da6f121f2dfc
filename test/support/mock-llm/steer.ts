// Reads a chat request body into a plan for the mock: what to answer and how. Steering comes
// from an optional `mock` object in the body, which the gateway forwards untouched.

export interface Plan {
  /** echoed verbatim in every response and chunk */
  model: string;
  stream: boolean;
  includeUsage: boolean;
  noUsage: boolean;
  /** content pieces ("Hello", " from", " mock", " tok3", ...) */
  chunks: number;
  delayMs: number;
  firstByteDelayMs: number;
  status?: number;
  errorBody?: string;
  malformed?: "json" | "drop";
  toolCalls: boolean;
  headers: Record<string, string>;
  promptTokens: number;
  /**
   * Quote the credentials the request carried, as careless providers do: "error" (an error
   * status, default 401), "stream_error" (a good chunk, then an error event), "ok_error" (a 200
   * whose body is an error).
   */
  echo?: "error" | "stream_error" | "ok_error";
  /** Reported as `usage.cost` in dollars (OpenRouter's way), when given. */
  cost?: number;
}

type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function count(v: unknown, fallback: number, max: number): number {
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? Math.min(Math.floor(v), max) : fallback;
}

/** Deterministic stand-in for a tokenizer: total characters of message content / 4. */
export function estimatePromptTokens(messages: unknown): number {
  let chars = 0;
  if (Array.isArray(messages)) {
    for (const m of messages) {
      const content = isObject(m) ? m.content : undefined;
      if (typeof content === "string") chars += content.length;
      else if (content !== undefined && content !== null) chars += JSON.stringify(content).length;
    }
  }
  return Math.max(1, Math.ceil(chars / 4));
}

function stringHeaders(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObject(v)) for (const [k, val] of Object.entries(v)) if (typeof val === "string") out[k.toLowerCase()] = val;
  return out;
}

/**
 * The steering for this request: `mock`, with `mock.by_model[<model>]` laid over it when the body
 * names that model. A gateway forwards one body to every candidate of a fallback chain with the
 * model rewritten, so this is how one request fails on one candidate and succeeds on the next.
 */
function steeringFor(body: Json): Json {
  const mock = isObject(body.mock) ? body.mock : {};
  const byModel = isObject(mock.by_model) ? mock.by_model : {};
  const own = typeof body.model === "string" && Object.hasOwn(byModel, body.model) ? byModel[body.model] : undefined;
  return isObject(own) ? { ...mock, ...own } : mock;
}

export function planFor(body: Json): Plan {
  const mock = steeringFor(body);
  const streamOptions = body.stream_options;
  const status = count(mock.status, 0, 599);
  return {
    model: typeof body.model === "string" ? body.model : "mock-model",
    stream: body.stream === true,
    includeUsage: isObject(streamOptions) && streamOptions.include_usage === true,
    noUsage: mock.no_usage === true,
    chunks: count(mock.chunks, 3, 100_000),
    delayMs: count(mock.delay_ms, 0, 600_000),
    firstByteDelayMs: count(mock.first_byte_delay_ms, 0, 600_000),
    status: status >= 100 ? status : undefined,
    errorBody: typeof mock.error_body === "string" ? mock.error_body : undefined,
    malformed: mock.malformed === "json" || mock.malformed === "drop" ? mock.malformed : undefined,
    toolCalls: mock.tool_calls === true,
    headers: stringHeaders(mock.headers),
    promptTokens: estimatePromptTokens(body.messages),
    cost: typeof mock.cost === "number" && Number.isFinite(mock.cost) ? mock.cost : undefined,
    echo: mock.echo === "error" || mock.echo === "stream_error" || mock.echo === "ok_error" ? mock.echo : undefined,
  };
}
