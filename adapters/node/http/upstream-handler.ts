// One upstream request as an undici dispatch handler. undici's request() wraps every answer in a
// Node Readable (then the core would wrap that in a web stream); this collects a document's bytes
// directly and feeds an event stream straight into the web stream the core relays.
import type { Dispatcher } from "undici";
import type { ClientAbortHook } from "../../../src/index.ts";
import { DocumentResponse } from "./document-response.ts";
import { RecordHeaders } from "./record-headers.ts";

type Controller = Dispatcher.DispatchController;

/** Chunks an event stream may hold before the socket is paused for a slow reader. */
const STREAM_BUFFER_CHUNKS = 8;

/** The usual small answer arrives in one chunk: decode it in place. */
function utf8(chunks: Uint8Array[]): string {
  if (chunks.length === 1) {
    const only = chunks[0]!;
    return Buffer.from(only.buffer, only.byteOffset, only.byteLength).toString("utf8");
  }
  return Buffer.concat(chunks).toString("utf8");
}

const isEventStream = (headers: RecordHeaders) => headers.get("content-type")?.includes("text/event-stream") === true;

export class UpstreamHandler implements Dispatcher.DispatchHandler {
  readonly #url: string;
  readonly #resolve: (res: Response) => void;
  readonly #reject: (err: Error) => void;
  #controller: Controller | undefined;
  #stopped: Error | null = null;
  #unhook: () => void = () => {};
  #status = 0;
  #headers: RecordHeaders | undefined;
  #chunks: Uint8Array[] = [];
  #stream: ReadableStreamDefaultController<Uint8Array> | undefined;
  /** The reader cancelled the stream: whatever still arrives is dropped. */
  #cancelled = false;
  #settled = false;

  constructor(url: string, resolve: (res: Response) => void, reject: (err: Error) => void, stop: ClientAbortHook | undefined) {
    this.#url = url;
    this.#resolve = resolve;
    this.#reject = reject;
    if (stop) this.#unhook = stop(() => this.#stop());
  }

  #stop(): void {
    this.#stopped ??= new DOMException("The upstream request was aborted.", "AbortError");
    this.#controller?.abort(this.#stopped);
  }

  onRequestStart(controller: Controller): void {
    this.#controller = controller;
    if (this.#stopped) controller.abort(this.#stopped);
  }

  onResponseStart(controller: Controller, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return; // 1xx: the real answer follows
    this.#status = statusCode;
    // undici hands over a fresh record with lower-case names: wrap it rather than copy it.
    const wrapped = (this.#headers = new RecordHeaders(headers));
    if (statusCode === 204 || statusCode === 304 || !isEventStream(wrapped)) return;
    const body = new ReadableStream<Uint8Array>(
      {
        start: (stream) => {
          this.#stream = stream;
        },
        pull: () => controller.resume(),
        cancel: () => {
          this.#cancelled = true;
          this.#stop();
        },
      },
      { highWaterMark: STREAM_BUFFER_CHUNKS },
    );
    this.#settle(() => this.#resolve(new Response(body, { status: statusCode, headers: wrapped })));
  }

  onResponseData(controller: Controller, chunk: Uint8Array): void {
    const stream = this.#stream;
    if (!stream) return void this.#chunks.push(chunk);
    if (this.#cancelled) return;
    stream.enqueue(chunk);
    // Respect backpressure: a slow reader pauses the socket rather than buffering the stream.
    if ((stream.desiredSize ?? 0) <= 0) controller.pause();
  }

  onResponseEnd(): void {
    this.#unhook();
    if (this.#stream) return void (this.#cancelled || this.#stream.close());
    const headers = this.#headers ?? new RecordHeaders();
    if (this.#status === 204 || this.#status === 304) {
      return this.#settle(() => this.#resolve(new Response(null, { status: this.#status, headers })));
    }
    const text = utf8(this.#chunks);
    this.#chunks = [];
    this.#settle(() => this.#resolve(new DocumentResponse(text, this.#status, headers, this.#url)));
  }

  onResponseError(_controller: Controller, err: Error): void {
    this.#unhook();
    const reason = this.#stopped ?? err;
    if (this.#stream) return void (this.#cancelled || this.#stream.error(reason));
    this.#settle(() => this.#reject(reason));
  }

  #settle(done: () => void): void {
    if (this.#settled) return;
    this.#settled = true;
    done();
  }
}
