import { errorBody, type ErrorBody } from "../http/errors.ts";

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

/**
 * An upstream error with a usable body keeps its status and its message, in our error shape;
 * one without (HTML, empty, garbage) becomes a 502 saying what status the upstream gave.
 */
export function normaliseUpstreamError(status: number, text: string): { status: number; body: ErrorBody } {
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
  if (message === undefined || status < 400) {
    return { status: 502, body: errorBody(502, "upstream_error", `The upstream answered ${status} without a usable error body.`) };
  }
  const code = isRecord(err) && (typeof err.code === "string" || typeof err.code === "number") ? String(err.code) : "upstream_error";
  const param = isRecord(err) && typeof err.param === "string" ? err.param : null;
  return { status, body: errorBody(status, code, message, param) };
}
