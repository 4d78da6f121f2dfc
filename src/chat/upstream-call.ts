import type { ClientAbortHook } from "../http/context.ts";
import { GatewayError } from "../http/errors.ts";

export type TimeoutKind = "first_byte" | "total";

/**
 * The lifetime of one upstream request: one AbortController fed by the client's disconnect,
 * the first-byte timer and the total timer. Whoever aborts first names the reason.
 */
export class UpstreamCall {
  readonly controller = new AbortController();
  timedOut: TimeoutKind | null = null;
  clientGone = false;
  // One timer at a time (timers cost on the hot path): first byte, then the rest of the total.
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly deadline: number;
  private stopListening: () => void = () => {};

  constructor(firstByteMs: number, totalMs: number, onClientAbort?: ClientAbortHook) {
    this.deadline = Date.now() + totalMs;
    this.timer = firstByteMs < totalMs ? setTimeout(() => this.timeout("first_byte"), firstByteMs) : setTimeout(() => this.timeout("total"), totalMs);
    if (onClientAbort) this.stopListening = onClientAbort(() => this.abortForClient());
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  firstByteArrived(): void {
    if (this.timer === undefined || this.timedOut !== null) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.timeout("total"), Math.max(0, this.deadline - Date.now()));
  }

  /** The client went away: stop paying for tokens nobody will read. */
  abortForClient(): void {
    this.clientGone = true;
    this.finish();
    this.controller.abort();
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
    this.controller.abort();
  }
}
