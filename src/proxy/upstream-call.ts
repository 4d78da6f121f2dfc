import type { ClientAbortHook } from "../http/context.ts";
import { GatewayError } from "../http/errors.ts";
import { Stopper } from "../http/stopper.ts";

export type TimeoutKind = "first_byte" | "idle" | "total";

/** The deadlines of one upstream call (ms). */
export interface CallLimits {
  /** Until the first byte (headers; a stream's first chunk). */
  firstByteMs: number;
  /** Between chunks once the answer has started: a stalled stream must not hold its connection. */
  idleMs: number;
  /** For the whole call. */
  totalMs: number;
}

/**
 * The lifetime of one upstream request, stopped by the client's disconnect, the first-byte, idle
 * or total deadline; whoever stops it first names the reason. The transport learns of the stop
 * through `onAbort` when it takes that hook (UPSTREAM_ABORT, see fetch-like.ts), else through `signal`,
 * an AbortSignal built only when something asks for it.
 */
export class UpstreamCall {
  timedOut: TimeoutKind | null = null;
  clientGone = false;
  // One timer per call (timers cost on the hot path), never reset per chunk: it is set for the
  // nearest deadline, and when it fires it checks what actually happened (first byte, last chunk)
  // and re-arms itself for the next deadline that still stands.
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly started: number;
  private readonly deadline: number;
  readonly #limits: CallLimits;
  #firstByte = false;
  #lastChunk = 0;
  private stopListening: () => void = () => {};
  readonly #stopper = new Stopper();
  /** The stop hook for transports: a listener runs once if the call is stopped. */
  readonly onAbort = this.#stopper.hook;

  constructor(limits: CallLimits, onClientAbort?: ClientAbortHook) {
    this.#limits = limits;
    this.started = Date.now();
    this.deadline = this.started + limits.totalMs;
    this.timer = setTimeout(() => this.#expire(), Math.min(limits.firstByteMs, limits.idleMs, limits.totalMs));
    if (onClientAbort) this.stopListening = onClientAbort(() => this.abortForClient());
  }

  /** For a transport that takes a signal rather than the hook; built on first use. */
  get signal(): AbortSignal {
    return this.#stopper.signal;
  }

  /** Stops the upstream request (and its body, if it is still being read). */
  abort(): void {
    this.#stopper.stop();
  }

  firstByteArrived(): void {
    this.#firstByte = true;
    this.#lastChunk = Date.now();
  }

  /** A piece of the answer arrived: the idle deadline starts again (read when the timer fires). */
  chunkArrived(): void {
    this.#lastChunk = Date.now();
  }

  #expire(): void {
    const now = Date.now();
    const left = this.deadline - now;
    if (left <= 0) return this.timeout("total");
    let next: number;
    if (!this.#firstByte) {
      next = this.started + this.#limits.firstByteMs - now;
      if (next <= 0) return this.timeout("first_byte");
    } else {
      next = this.#lastChunk + this.#limits.idleMs - now;
      if (next <= 0) return this.timeout("idle");
    }
    this.timer = setTimeout(() => this.#expire(), Math.min(next, left));
  }

  /** The client went away: stop paying for tokens nobody will read. */
  abortForClient(): void {
    this.clientGone = true;
    this.finish();
    this.abort();
  }

  finish(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.stopListening();
  }

  /** Maps whatever ended the call early to the error the client should see. */
  failure(cause: unknown): GatewayError {
    if (this.timedOut === "first_byte") {
      return new GatewayError(504, "upstream_timeout", "The upstream did not start answering in time.");
    }
    if (this.timedOut === "idle") {
      return new GatewayError(504, "upstream_timeout", `The upstream stopped sending for more than ${Math.round(this.#limits.idleMs / 1000)} s.`);
    }
    if (this.timedOut === "total") {
      return new GatewayError(504, "upstream_timeout", "The upstream did not finish answering in time.");
    }
    if (cause instanceof GatewayError) return cause;
    return new GatewayError(502, "upstream_error", "The upstream could not be reached or broke off the response.");
  }

  private timeout(kind: TimeoutKind): void {
    this.timedOut = kind;
    this.finish();
    this.abort();
  }
}
