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
  private firstByteTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly totalTimer: ReturnType<typeof setTimeout>;
  private readonly clientSignal: AbortSignal | undefined;
  private readonly onClientAbort = () => this.abortForClient();

  constructor(firstByteMs: number, totalMs: number, clientSignal?: AbortSignal) {
    this.firstByteTimer = setTimeout(() => this.timeout("first_byte"), firstByteMs);
    this.totalTimer = setTimeout(() => this.timeout("total"), totalMs);
    this.clientSignal = clientSignal;
    if (clientSignal?.aborted) this.abortForClient();
    else clientSignal?.addEventListener("abort", this.onClientAbort);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  firstByteArrived(): void {
    clearTimeout(this.firstByteTimer);
    this.firstByteTimer = undefined;
  }

  /** The client went away: stop paying for tokens nobody will read. */
  abortForClient(): void {
    this.clientGone = true;
    this.finish();
    this.controller.abort();
  }

  finish(): void {
    clearTimeout(this.firstByteTimer);
    clearTimeout(this.totalTimer);
    this.clientSignal?.removeEventListener("abort", this.onClientAbort);
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
