import { errorBody, type ErrorBody } from "../../http/errors.ts";
import type { UpstreamErrorContext } from "../../proxy/dialect.ts";
import { redactText } from "../../proxy/redact.ts";

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;


// How providers word "the prompt does not fit": OpenAI's code, and the phrases of OpenAI,
// Anthropic-style, vLLM, Groq, Together and OpenRouter messages.
const CONTEXT_CODES = new Set(["context_length_exceeded"]);
const CONTEXT_WORDS = /context[ _-]?(length|window)|maximum context|prompt is too long|input is too long|too many (input )?tokens|reduce the length of the (messages|prompt)/i;

function errorParts(text: string): { message: string | undefined; code: string | null; param: string | null } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const err = isRecord(parsed) ? parsed.error : undefined;
  const message =
    isRecord(err) && typeof err.message === "string"
      ? err.message
      : typeof err === "string"
        ? err
        : isRecord(parsed) && typeof parsed.message === "string"
          ? parsed.message
          : undefined;
  const code = isRecord(err) && (typeof err.code === "string" || typeof err.code === "number") ? String(err.code) : null;
  const param = isRecord(err) && typeof err.param === "string" ? err.param : null;
  return { message, code, param };
}

/**
 * An upstream error with a usable body keeps its status and its message, in our error shape;
 * one without (HTML, empty, garbage) becomes a 502 saying what status the upstream gave. Two
 * cases are rewritten: a prompt over the model's context window becomes 400
 * `context_length_exceeded` whatever the provider called it, and a 402 on the operator's own
 * provider account becomes 503 — the caller did nothing wrong and must not learn about the
 * operator's billing. With BYOK the 402 is the caller's own account, so it is relayed.
 */
export function normaliseUpstreamError(status: number, text: string, ctx: UpstreamErrorContext): { status: number; body: ErrorBody } {
  const parts = errorParts(text);
  const scrub = (v: string | null) => (v === null ? null : redactText(v, ctx.secrets));
  const message = parts.message === undefined ? undefined : redactText(parts.message, ctx.secrets);
  const code = scrub(parts.code);
  const param = scrub(parts.param);
  if (status === 402 && !ctx.ownersAccount) {
    return { status: 503, body: errorBody(503, "upstream_unavailable", `The provider serving "${ctx.model}" is temporarily unavailable. Please retry later.`) };
  }
  if (message === undefined || status < 400) {
    return { status: 502, body: errorBody(502, "upstream_error", `The upstream answered ${status} without a usable error body.`) };
  }
  if ((status === 400 || status === 413 || status === 422) && ((code !== null && CONTEXT_CODES.has(code)) || CONTEXT_WORDS.test(message))) {
    return {
      status: 400,
      body: errorBody(400, "context_length_exceeded", `The request is too long for "${ctx.model}": shorten the messages or lower max_tokens. The provider said: ${message}`, param ?? "messages"),
    };
  }
  return { status, body: errorBody(status, code ?? "upstream_error", message, param) };
}
