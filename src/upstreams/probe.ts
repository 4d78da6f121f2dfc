// Calls a custom upstream's GET /models on behalf of its owner (the test and discover routes).
// Every failure is a result to show, never a gateway error: the upstream is the owner's to fix.
import { z } from "zod";
import type { UpstreamModel } from "./model-meta.ts";
import { checkUpstreamUrlWithDns, fetchUpstreamSafely, UnsafeUpstreamError, type SsrfPolicy } from "../ssrf/index.ts";
import { MAX_MODELS } from "./checks.ts";

const TIMEOUT_MS = 10_000;
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export type Probe =
  | { ok: true; status: number; latency_ms: number; body: string }
  | { ok: false; status: number | null; latency_ms: number; error: string };

async function readLimited(res: Response, limit: number): Promise<string | null> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return null;
    }
    text += decoder.decode(value, { stream: true });
  }
}

function failure(err: unknown): string {
  if (err instanceof UnsafeUpstreamError) return `unsafe upstream URL: ${err.reason}`;
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) return `no answer within ${TIMEOUT_MS / 1000} s`;
  // fetch's own message is generic ("fetch failed"); the cause says what happened (ECONNREFUSED, a TLS error).
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : "";
  return `could not reach the upstream${err instanceof Error ? ` (${err.message}${cause})` : ""}`;
}

/** GET `${baseUrl}/models` with the upstream's key and extra headers. */
export async function probeModels(svc: { ssrf: SsrfPolicy; fetch: typeof fetch }, baseUrl: string, secrets: { apiKey: string; extraHeaders: Record<string, string> }): Promise<Probe> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  // The name may have been re-pointed since it was registered; a probe is rare enough to look again.
  const verdict = await checkUpstreamUrlWithDns(baseUrl, svc.ssrf);
  if (!verdict.ok) return { ok: false, status: null, latency_ms: elapsed(), error: `unsafe upstream URL: ${verdict.reason}` };
  const headers = new Headers(secrets.extraHeaders);
  headers.set("authorization", `Bearer ${secrets.apiKey}`);
  headers.set("accept", "application/json");
  try {
    const res = await fetchUpstreamSafely(`${baseUrl}/models`, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) }, svc.ssrf, svc.fetch);
    const body = await readLimited(res, MAX_BODY_BYTES);
    const latency = elapsed();
    if (!res.ok) return { ok: false, status: res.status, latency_ms: latency, error: `the upstream answered HTTP ${res.status}` };
    if (body === null) return { ok: false, status: res.status, latency_ms: latency, error: `the model list exceeds ${MAX_BODY_BYTES} bytes` };
    return { ok: true, status: res.status, latency_ms: latency, body };
  } catch (err) {
    return { ok: false, status: null, latency_ms: elapsed(), error: failure(err) };
  }
}

// Lenient reading of an OpenAI-style model list: entries that do not fit are skipped, and
// optional metadata that does not fit is dropped, so one odd entry cannot hide the rest.
const listSchema = z.object({ data: z.array(z.unknown()) });
const positiveInt = z.number().int().positive().optional().catch(undefined);
// OpenRouter-style prices: dollars per token as decimal strings ("-1" = variable, skipped).
const dollars = z
  .union([z.number(), z.string().trim().min(1).transform(Number)])
  .pipe(z.number().nonnegative())
  .optional()
  .catch(undefined);
const entrySchema = z.object({
  id: z.string().min(1).max(256),
  name: z.string().max(256).optional().catch(undefined),
  context_length: positiveInt,
  context_window: positiveInt,
  pricing: z.object({ prompt: dollars, completion: dollars }).optional().catch(undefined),
});

/** Microdollars per token from dollars per token, without binary-float noise (2.5, not 2.4999999999999996). */
const toMicro = (d: number | undefined) => (d === undefined ? undefined : Number((d * 1_000_000).toPrecision(12)));

export function parseModelList(text: string): UpstreamModel[] | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const list = listSchema.safeParse(raw);
  if (!list.success) return null;
  const out = new Map<string, UpstreamModel>();
  for (const item of list.data.data) {
    const e = entrySchema.safeParse(item);
    if (!e.success || out.has(e.data.id)) continue;
    const contextLength = e.data.context_length ?? e.data.context_window;
    const input = toMicro(e.data.pricing?.prompt);
    const output = toMicro(e.data.pricing?.completion);
    out.set(e.data.id, {
      id: e.data.id,
      ...(e.data.name !== undefined ? { name: e.data.name } : {}),
      ...(contextLength !== undefined ? { context_length: contextLength } : {}),
      ...(input !== undefined ? { input_price: input } : {}),
      ...(output !== undefined ? { output_price: output } : {}),
    });
    if (out.size >= MAX_MODELS) break;
  }
  return [...out.values()];
}

/** Discovered models, keeping what the owner entered for fields the upstream does not report. */
export function mergeModels(discovered: UpstreamModel[], existing: UpstreamModel[]): UpstreamModel[] {
  const known = new Map(existing.map((m) => [m.id, m]));
  return discovered.map((m) => ({ ...known.get(m.id), ...m }));
}
