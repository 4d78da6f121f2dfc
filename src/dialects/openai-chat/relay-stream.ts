import { errorBody, type GatewayError } from "../../http/errors.ts";
import { SSE_DONE, splitEvents, sseData } from "../../http/sse.ts";
import type { RelayContext, StreamEnd } from "../../proxy/dialect.ts";
import { redactValue } from "../../proxy/redact.ts";
import type { ChatRequest } from "./body.ts";
import { modelRewriter } from "./model-rewrite.ts";
import { asUsage, choicesChars, type Usage } from "./usage.ts";

const encoder = new TextEncoder();

/**
 * Relays an upstream SSE stream event by event as it arrives. Waits for the first chunk before
 * returning, so a silent upstream still becomes a 504 with a proper status; after that every
 * failure (malformed JSON, a dropped connection, a timeout) ends the stream with an error
 * event and `[DONE]`, never a torn connection.
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

  // Called once, however the stream ends (completed, cut off, client gone), with the upstream's
  // usage if it sent any and the generated text relayed so far (for an estimate when it did not).
  const end = () => {
    if (ended) return;
    ended = true;
    call.finish();
    onEnd({ usage, generatedChars: generated });
  };

  /** Turns upstream bytes into what the client gets; `done` once [DONE] or a fatal error passed. */
  const translate = (chunk: Uint8Array): { out: string; done: boolean; failed?: boolean } => {
    buffer += decoder.decode(chunk, { stream: true });
    const { events, rest } = splitEvents(buffer);
    buffer = rest;
    let out = "";
    for (const ev of events) {
      if (ev.data === null) {
        out += `${ev.raw}\n\n`; // comments and keep-alives pass through
        continue;
      }
      if (ev.data === "[DONE]") return { out: out + SSE_DONE, done: true };
      let parsed: unknown;
      try {
        parsed = JSON.parse(ev.data);
      } catch {
        return { out: out + failureEvents("The upstream sent a malformed stream event."), done: true, failed: true };
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
          out += sseData(rewriteModel(JSON.stringify(redactValue(parsed, ctx.secrets()))));
          continue;
        }
      }
      out += sseData(rewriteModel(ev.data));
    }
    return { out, done: false };
  };

  // The first chunk decides between an HTTP error and a stream (see above).
  let first: ReadableStreamReadResult<Uint8Array>;
  try {
    first = await reader.read();
  } catch (cause) {
    end();
    throw call.failure(cause);
  }
  call.firstByteArrived();

  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (first.done) return finishEarly(controller);
      const step = translate(first.value);
      if (step.out) controller.enqueue(encoder.encode(step.out));
      if (step.done) closeAfterDone(controller, step.failed === true);
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
