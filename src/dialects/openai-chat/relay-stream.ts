import { errorBody, GatewayError } from "../../http/errors.ts";
import { SSE_DONE, splitEvents, sseData } from "../../http/sse.ts";
import type { RelayContext, StreamEnd } from "../../proxy/dialect.ts";
import { redactValue } from "../../proxy/redact.ts";
import type { ChatRequest } from "./body.ts";
import { modelRewriter } from "./model-rewrite.ts";
import { asUsage, choicesChars, type Usage } from "./usage.ts";

const encoder = new TextEncoder();

/**
 * Relays an upstream SSE stream event by event as it arrives. Waits for the first event that
 * carries data before returning (comments and keep-alives before it are held back with it), so
 * an upstream that is silent, breaks off, ends, sends something malformed or begins with an error
 * event before that still fails as a whole answer, and may fail over. After that every failure
 * (malformed JSON, a dropped connection, a timeout) ends the stream with an error event and
 * `[DONE]`, never a torn connection.
 */
export async function relayStream(chat: ChatRequest, upstreamBody: ReadableStream<Uint8Array>, ctx: RelayContext, onEnd: (end: StreamEnd) => void): Promise<ReadableStream<Uint8Array>> {
  const { call } = ctx;
  const rewriteModel = modelRewriter(ctx.clientModel);
  // False when the client did not ask for usage: the usage-only chunk the gateway requested is dropped.
  const forwardUsageChunk = chat.wantsUsage;
  const reader = upstreamBody.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let usage: Usage | undefined;
  let generated = 0;
  let ended = false;
  /** An event with data has been relayed: from then on the answer is committed. */
  let started = false;

  // Called once, however the stream ends (completed, cut off, client gone), with the upstream's
  // usage if it sent any and the generated text relayed so far (for an estimate when it did not).
  const end = () => {
    if (ended) return;
    ended = true;
    call.finish();
    onEnd({ usage, generatedChars: generated });
  };

  /**
   * Turns upstream bytes into what the client gets; `done` once [DONE] or a fatal error passed;
   * `data` once an event with data was relayed; `error`, the first such event when it was an error.
   */
  const translate = (chunk: Uint8Array): { out: string; done: boolean; failed?: boolean; data?: boolean; error?: unknown } => {
    buffer += decoder.decode(chunk, { stream: true });
    const { events, rest } = splitEvents(buffer);
    buffer = rest;
    let out = "";
    let data = false;
    for (const ev of events) {
      if (ev.data === null) {
        out += `${ev.raw}\n\n`; // comments and keep-alives pass through
        continue;
      }
      if (ev.data === "[DONE]") return { out: out + SSE_DONE, done: true, data: true };
      let parsed: unknown;
      try {
        parsed = JSON.parse(ev.data);
      } catch {
        return { out: out + failureEvents("The upstream sent a malformed stream event."), done: true, failed: true, data };
      }
      if (typeof parsed === "object" && parsed !== null) {
        // Usage arrives in the last chunk; until then count what was generated, so a stream cut
        // short (client gone, upstream failed) can still be billed for what it delivered.
        if ("usage" in parsed && parsed.usage !== null) {
          const found = asUsage(parsed.usage);
          if (found) {
            usage = found;
            const choices = "choices" in parsed ? parsed.choices : undefined;
            if (!forwardUsageChunk && Array.isArray(choices) && choices.length === 0) continue;
          }
        }
        generated += choicesChars(parsed, "delta");
        // An upstream's error event may quote the credentials it received: never relay them.
        if ("error" in parsed) {
          const redacted = redactValue(parsed, ctx.secrets());
          if (!started) return { out, done: false, data: true, error: redacted };
          out += sseData(rewriteModel(JSON.stringify(redacted)));
          continue;
        }
      }
      out += sseData(rewriteModel(ev.data));
      data = started = true;
    }
    return { out, done: false, data };
  };

  // Until the first event with data nothing is committed: read on, holding back comments.
  let head = "";
  let complete = false;
  let broken = false;
  for (;;) {
    let r: ReadableStreamReadResult<Uint8Array>;
    try {
      r = await reader.read();
    } catch (cause) {
      end();
      throw call.failure(cause);
    }
    const failure = r.done ? "The upstream ended the stream before its first chunk." : null;
    const step = r.done ? null : translate(r.value);
    // Something malformed after a good chunk in the same read is the stream's to report, not a failure before it.
    const early = failure ?? (step?.failed && !step.data ? "The upstream sent a malformed stream event before its first chunk." : step?.error !== undefined ? beganWithError(step.error) : null);
    if (early !== null) {
      end();
      call.abort();
      reader.cancel().catch(() => {});
      throw new GatewayError(502, "upstream_error", early);
    }
    head += step?.out ?? "";
    if (step?.data || step?.done) {
      complete = step.done;
      broken = step.failed === true;
      break;
    }
  }
  call.firstByteArrived();

  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (head) controller.enqueue(encoder.encode(head));
      if (complete) closeAfterDone(controller, broken);
    },
    async pull(controller) {
      while (!ended) {
        let r: ReadableStreamReadResult<Uint8Array>;
        try {
          r = await reader.read();
          call.chunkArrived();
        } catch (cause) {
          if (call.clientGone) return end();
          controller.enqueue(encoder.encode(failureEvents(call.failure(cause))));
          controller.close();
          return end();
        }
        if (r.done) return finishEarly(controller);
        const step = translate(r.value);
        if (step.out) controller.enqueue(encoder.encode(step.out));
        if (step.done) return closeAfterDone(controller, step.failed === true);
        if (step.out) return;
      }
    },
    cancel() {
      call.abortForClient();
      reader.cancel().catch(() => {});
      end();
    },
  });

  function finishEarly(controller: ReadableStreamDefaultController<Uint8Array>) {
    // The upstream closed without [DONE]: whatever it sent is not a complete answer.
    controller.enqueue(encoder.encode(failureEvents("The upstream ended the stream before it was complete.")));
    controller.close();
    end();
  }

  function closeAfterDone(controller: ReadableStreamDefaultController<Uint8Array>, failed: boolean) {
    controller.close();
    end();
    if (failed) {
      call.abort();
      reader.cancel().catch(() => {});
    } else {
      // Read the upstream to its end in the background so its connection can be reused.
      void drain(reader);
    }
  }
}

/** What an upstream's opening error event said, for the attempt's failure (already redacted). */
function beganWithError(event: unknown): string {
  const error = typeof event === "object" && event !== null && "error" in event ? event.error : undefined;
  const message = typeof error === "object" && error !== null && "message" in error && typeof error.message === "string" ? error.message : typeof error === "string" ? error : "";
  return `The upstream's stream began with an error${message ? `: ${message.slice(0, 500)}` : "."}`;
}

function failureEvents(err: string | GatewayError): string {
  const body = typeof err === "string" ? errorBody(502, "upstream_error", err) : err.body();
  return sseData(JSON.stringify(body)) + SSE_DONE;
}

async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  try {
    while (!(await reader.read()).done);
  } catch {
    // The upstream already delivered [DONE]; a late reset does not matter.
  }
}
