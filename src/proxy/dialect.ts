// A wire format (OpenAI chat completions today; embeddings, responses and Anthropic messages
// later): everything the endpoint-neutral attempt loop (forward.ts) must ask of one. A new wire
// format is a new folder under dialects/ implementing this, not edits across the proxy.
import type { UpstreamTarget } from "../domain/target.ts";
import type { Usage } from "../domain/usage.ts";
import type { ErrorBody } from "../http/errors.ts";
import type { UpstreamCall } from "./upstream-call.ts";

/** What every dialect's parsed request tells the proxy. */
export interface DialectRequest {
  /** The model id the client named first. */
  model: string;
  /** Every model id the client named, in order (request-level fallbacks). */
  models: readonly string[];
  stream: boolean;
}

/** What a relay needs about the attempt it relays. */
export interface RelayContext {
  call: UpstreamCall;
  /** The model id responses carry back: the one the client named for the target that answers. */
  clientModel: string;
  /** The credentials sent on this attempt, asked for only when an error must be cleaned of them. */
  secrets: () => readonly string[];
}

/** A whole answer, relayed. */
export interface RelayedDocument {
  text: string;
  usage: Usage | undefined;
  /** Characters of generated text, for an estimate when the upstream reported no usage. */
  generatedChars: number;
}

/** How a relayed stream ended: what it delivered, for accounting. */
export interface StreamEnd {
  usage: Usage | undefined;
  generatedChars: number;
}

export interface UpstreamErrorContext {
  /** Served on the owner's own provider account: its billing problems are the caller's. */
  ownersAccount: boolean;
  /** The model id the client asked for, for readable messages. */
  model: string;
  /** Credentials sent on this call: never relayed back. */
  secrets: readonly string[];
}

export interface Dialect<R extends DialectRequest> {
  /** Appended to a target's base URL. */
  readonly upstreamPath: string;
  /** Checks a request body; throws the 4xx that says what is wrong. */
  parse(text: string): R;
  /** Prompt tokens, estimated (bounded work, never throws): for usage an upstream did not report. */
  promptTokens(request: R): number;
  /** The most tokens the request may use, for token-rate reservations (never throws). */
  requestTokens(request: R, defaultCompletion: number): number;
  /** The body one target receives. */
  upstreamBody(request: R, target: UpstreamTarget): string;
  /** The headers one target receives (a plain record: transports use it as-is). */
  upstreamHeaders(target: UpstreamTarget, stream: boolean): Record<string, string>;
  /** Reads and relays a whole answer, with the client's model id. */
  relayDocument(request: R, upstream: Response, ctx: RelayContext): Promise<RelayedDocument>;
  /**
   * Relays an event stream piece by piece. Resolves once the first piece arrived (a stream that
   * fails before it rejects, so the caller may still fail over); `onEnd` runs once, when it ends.
   */
  relayStream(request: R, body: ReadableStream<Uint8Array>, ctx: RelayContext, onEnd: (end: StreamEnd) => void): Promise<ReadableStream<Uint8Array>>;
  /** An upstream's error answer in the gateway's error shape. */
  upstreamError(status: number, text: string, ctx: UpstreamErrorContext): { status: number; body: ErrorBody };
}
