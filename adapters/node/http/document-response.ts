// A Response for a whole document already held as text: an upstream answer the transport read,
// or the gateway's own JSON answer (handed to the core as its DocumentFactory).
// On Node 20 a real Response over a string builds a byte stream and a reader just to hand the
// text back (~15 µs); the core only calls text()/json() on these, so answer those directly and
// build the real thing only if something wants the rest.
import type { DocumentFactory } from "../../../src/index.ts";
import { RecordHeaders } from "./record-headers.ts";

export class DocumentResponse implements Response {
  readonly type: ResponseType = "default";
  readonly redirected = false;
  /** The body while nobody has read it or made a stream of it. */
  #text: string | null;
  #used = false;
  #real: Response | undefined;

  constructor(
    text: string,
    readonly status: number,
    readonly headers: Headers,
    readonly url: string,
  ) {
    this.#text = text;
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  get statusText(): string {
    return "";
  }

  get bodyUsed(): boolean {
    return this.#real ? this.#real.bodyUsed : this.#used;
  }

  /** The body, synchronously, while it is still plain text: what the Node server writes without any stream in between. */
  takeText(): string | null {
    const text = this.#text;
    if (text !== null) this.#used = true;
    this.#text = null;
    return text;
  }

  async text(): Promise<string> {
    // Once something asked for `body`, the real Response holds the text (reading `body` alone
    // does not consume it, as with any Response).
    if (this.#real) return this.#real.text();
    const text = this.takeText();
    if (text === null) throw new TypeError("Body is unusable: it has already been read");
    return text;
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return new TextEncoder().encode(await this.text());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    return (await this.bytes()).buffer;
  }

  #toReal(): Response {
    if (!this.#real) {
      if (this.#text === null) throw new TypeError("Body is unusable: it has already been read");
      this.#real = new Response(this.#text, { status: this.status, headers: this.headers });
      this.#text = null;
    }
    return this.#real;
  }

  get body(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
    return this.#toReal().body;
  }
  blob(): Promise<Blob> {
    return this.#toReal().blob();
  }
  formData(): Promise<FormData> {
    return this.#toReal().formData();
  }
  clone(): Response {
    return this.#toReal().clone();
  }
}

export const documentFactory: DocumentFactory = (text, init) => new DocumentResponse(text, init.status, new RecordHeaders(init.headers), "");
