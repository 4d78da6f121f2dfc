// Pipeline step "schedule background work": once a request has ended, turn what happened into
// one usage row (tokens, cost, timings), charge it, and correct the caller's token
// reservations. Runs in waitUntil, never in front of the client; never throws.
import type { Owner } from "../domain/caller.ts";
import type { ResolvedModel } from "../routing/resolve.ts";
import type { Usage } from "../dialects/openai-chat/usage.ts";
import type { Logger } from "../deps.ts";
import type { Db } from "../store/db.ts";
import { describeError } from "../http/describe-error.ts";
import type { CreditGuard } from "../policy/credit.ts";
import { estimatePromptTokens, tokensForChars } from "../dialects/openai-chat/estimate.ts";
import type { RateLimiter, Reservation } from "../policy/rate-limit.ts";
import { costMicrodollars, reportedCostMicrodollars } from "./cost.ts";
import { LedgerWriter, type LedgerWriterOptions } from "./ledger-writer.ts";

/** Everything known about a request once it has ended. */
export interface RequestOutcome {
  requestId: string;
  /** Who pays; null (anonymous) records no row but still settles reservations. */
  owner: Owner | null;
  apiKeyId: string | null;
  /** The model id the client sent. */
  model: string;
  route: ResolvedModel;
  /** The request's `messages`, for a prompt estimate when the upstream reported no usage. */
  messages: unknown;
  /** The HTTP status the client received. */
  status: number;
  startedAt: number;
  /** When the upstream's first byte arrived (headers, or a stream's first chunk). */
  firstByteAt: number | null;
  endedAt: number;
  /** Real usage when the upstream reported it. */
  usage: Usage | undefined;
  /** Generated text relayed to the client, for an estimate without usage. */
  generatedChars: number;
  reservations: readonly Reservation[];
}

export interface AccountantDeps {
  db: Db;
  logger: Logger;
  credit: CreditGuard;
  limiter: RateLimiter;
  writer?: LedgerWriterOptions;
}

const ms = (n: number) => Math.max(0, Math.round(n));

export class Accountant {
  readonly writer: LedgerWriter;
  readonly #credit: CreditGuard;
  readonly #limiter: RateLimiter;
  readonly #logger: Logger;
  #queued: RequestOutcome[] = [];
  #queuedDone: Promise<void> | null = null;

  constructor(deps: AccountantDeps) {
    this.writer = new LedgerWriter(deps.db, deps.logger, deps.writer);
    this.#credit = deps.credit;
    this.#limiter = deps.limiter;
    this.#logger = deps.logger;
  }

  /**
   * Records `o` once the current turn of the event loop is over, so that the response it
   * belongs to is written first: background work never delays the client. One timer serves
   * every request that ends in the same turn. Never rejects.
   */
  recordSoon(o: RequestOutcome): Promise<void> {
    this.#queued.push(o);
    this.#queuedDone ??= new Promise<void>((resolve) => setTimeout(resolve, 0)).then(() => this.#recordQueued());
    return this.#queuedDone;
  }

  #recordQueued(): Promise<void> {
    const batch = this.#queued;
    this.#queued = [];
    this.#queuedDone = null;
    return Promise.all(batch.map((o) => this.record(o))).then(() => {});
  }

  /** Records what is queued and writes every pending ledger row (call before shutting down). */
  async drain(): Promise<void> {
    await this.#queuedDone;
    await this.writer.flush();
  }

  /**
   * BYOK and custom upstreams: the provider bills the caller directly; free: nobody is billed;
   * pass-through: the upstream's reported cost; otherwise the catalog's prices.
   */
  #cost(o: RequestOutcome, prompt: number, completion: number): number {
    const route = o.route;
    if (route.byok || route.free) return 0;
    if (!route.passthrough) return costMicrodollars(prompt, completion, route.pricing);
    if (o.usage?.cost !== undefined) return reportedCostMicrodollars(o.usage.cost);
    if (o.status < 400) this.#logger.warn("pass-through request without a reported cost; recorded at 0", { requestId: o.requestId, model: o.model });
    return 0;
  }

  /** Records and settles one request. Resolves when done; never rejects. */
  record(o: RequestOutcome): Promise<void> {
    let write: Promise<void> | undefined;
    let actual = 0;
    try {
      const { prompt, completion, estimated } = tokensOf(o);
      actual = prompt + completion;
      if (o.owner !== null) {
        const cost = this.#cost(o, prompt, completion);
        if (cost > 0) this.#credit.debit(o.owner, cost);
        write = this.writer.write({
          requestId: o.requestId,
          owner: o.owner,
          apiKeyId: o.apiKeyId,
          model: o.model,
          provider: o.route.providerId,
          upstreamModel: o.route.upstreamModel,
          byok: o.route.byok,
          promptTokens: prompt,
          completionTokens: completion,
          estimated,
          costMicrodollars: cost,
          status: o.status,
          latencyMs: ms(o.endedAt - o.startedAt),
          ttfbMs: o.firstByteAt === null ? null : ms(o.firstByteAt - o.startedAt),
        });
      }
    } catch (err) {
      this.#logger.error("accounting failed", { requestId: o.requestId, error: describeError(err) });
    }
    // Both never reject: the writer and the limiter log their own failures.
    const work: Promise<void>[] = [];
    if (write) work.push(write);
    for (const r of o.reservations) work.push(this.#limiter.settle(r, actual));
    return work.length === 1 ? work[0]! : Promise.all(work).then(() => {});
  }
}

/**
 * Tokens to bill: the upstream's own count when it sent one; otherwise an estimate from the
 * prompt and from the text the client actually received (a stream cut short is billed for
 * what it delivered). A failed request that produced nothing is billed nothing.
 */
function tokensOf(o: RequestOutcome): { prompt: number; completion: number; estimated: boolean } {
  if (o.usage) return { prompt: o.usage.prompt_tokens, completion: o.usage.completion_tokens, estimated: false };
  if (o.status >= 400 && o.generatedChars === 0) return { prompt: 0, completion: 0, estimated: false };
  return { prompt: estimatePromptTokens(o.messages), completion: tokensForChars(o.generatedChars), estimated: true };
}
