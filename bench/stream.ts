// Streaming timings for one request: time to first chunk (first SSE `data:` event whose delta
// has non-empty content) and time to last chunk (`data: [DONE]`), both from the moment of sending.
import type { Client } from "undici";
import type { Target } from "./targets.ts";

export type StreamOutcome =
  | { ok: true; ttfcMs: number; ttlcMs: number }
  | { ok: false; status: number; message: string };

function hasContent(payload: string): boolean {
  try {
    const chunk: unknown = JSON.parse(payload);
    if (typeof chunk !== "object" || chunk === null || !("choices" in chunk) || !Array.isArray(chunk.choices)) return false;
    const choice: unknown = chunk.choices[0];
    if (typeof choice !== "object" || choice === null || !("delta" in choice)) return false;
    const delta = choice.delta;
    return typeof delta === "object" && delta !== null && "content" in delta && typeof delta.content === "string" && delta.content !== "";
  } catch {
    return false;
  }
}

export async function timeStream(client: Client, target: Target, body: string): Promise<StreamOutcome> {
  const start = performance.now();
  let res;
  try {
    res = await client.request({ path: target.path, method: "POST", headers: target.headers, body });
  } catch (err) {
    return { ok: false, status: 0, message: err instanceof Error ? err.message : String(err) };
  }
  if (res.statusCode !== 200) {
    return { ok: false, status: res.statusCode, message: (await res.body.text()).slice(0, 200) };
  }
  const decoder = new TextDecoder();
  let pending = "";
  let ttfc: number | undefined;
  let ttlc: number | undefined;
  for await (const chunk of res.body) {
    const now = performance.now() - start;
    if (ttlc !== undefined) continue; // drain whatever follows [DONE]
    const bytes: Uint8Array = chunk;
    pending += decoder.decode(bytes, { stream: true }).replace(/\r\n/g, "\n");
    const events = pending.split("\n\n");
    pending = events.pop() ?? "";
    for (const event of events) {
      for (const line of event.split("\n")) {
        if (!line.startsWith("data:")) continue;
        const payload = line.slice(5).trim();
        if (payload === "[DONE]") ttlc ??= now;
        else if (ttfc === undefined && hasContent(payload)) ttfc = now;
      }
    }
  }
  if (ttfc === undefined || ttlc === undefined) {
    return { ok: false, status: res.statusCode, message: `stream ended without ${ttfc === undefined ? "a content chunk" : "[DONE]"}` };
  }
  return { ok: true, ttfcMs: ttfc, ttlcMs: ttlc };
}
