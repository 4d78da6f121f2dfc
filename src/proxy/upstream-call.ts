import type { ClientAbortHook } from "../http/context.ts";
import { GatewayError } from "../http/errors.ts";
import { Stopper } from "../http/stopper.ts";

export type TimeoutKind = "first_byte" | "total";

/**
 * The lifetime of one upstream request, stopped by the client's disconnect, the first-byte timer
 * or the total timer; whoever stops it first names the reason. The transport learns of the stop
 * through `onAbort` when it takes that hook (UPSTREAM_ABORT, see fetch-like.ts), else through `signal`,
 * an AbortSignal built only when something asks for it.
 */
export class UpstreamCall {
  timedOut: TimeoutKind | null = null;
  clientGone = false;
  // One timer per call (timers cost on the hot path). It is set for the first-byte deadline;
  // if the first byte came in time it re-arms itself for the rest of the total when it fires.
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly deadline: number;
  #firstByte = false;
  private stopListening: () => void = () => {};
  readonly #stopper = new Stopper();
  /** The stop hook for transports: a listener runs once if the call is stopped. */
  readonly onAbort = this.#stopper.hook;

  constructor(firstByteMs: number, totalMs: number, onClientAbort?: ClientAbortHook) {
    this.deadline = Date.now() + totalMs;
    this.timer = setTimeout(() => this.#expire(), Math.min(firstByteMs, totalMs));
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
  }

  #expire(): void {
    const left = this.deadline - Date.now();
    if (!this.#firstByte) return this.timeout(left <= 0 ? "total" : "first_byte");
    if (left <= 0) return this.timeout("total");
    this.timer = setTimeout(() => this.#expire(), left);
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
