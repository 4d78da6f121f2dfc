// Pipeline step "schedule background work": once a request has ended, turn its outcome into one
// usage row (tokens, cost, timings), charge it, and correct the caller's token reservations.
// Runs in waitUntil, never in front of the client; never throws.
import type { Outcome, ProxyOutcome } from "../domain/outcome.ts";
import { ownersAccount } from "../domain/target.ts";
import type { Logger } from "../domain/runtime.ts";
import type { Db } from "../store/db.ts";
import { describeError } from "../http/describe-error.ts";
import type { CreditGuard } from "../policy/credit.ts";
import type { RateLimiter } from "../policy/rate-limit.ts";
import { costMicrodollars, reportedCostMicrodollars } from "./cost.ts";
import { LedgerWriter, type LedgerWriterOptions } from "./ledger-writer.ts";
import { tokensForChars } from "../domain/tokens.ts";

/** An outcome the accountant acts on: routed, with an upstream called. */
type Routed = Outcome & { proxy: ProxyOutcome & { target: NonNullable<ProxyOutcome["target"]> } };

/**
 * Whether an outcome leaves anything to record: once an upstream was called the request counts,
 * however it ended. Anonymous requests without token reservations leave nothing.
 */
export function accountable(o: Outcome): o is Routed {
  const p = o.proxy;
  return p !== null && p.target !== null && (p.owner !== null || p.reservations.length > 0);
}

export interface AccountantDeps {
  db: Db;
  logger: Logger;
  credit: CreditGuard;
  limiter: RateLimiter;
  writer?: LedgerWriterOptions;
}

const ms = (n: number) => Math.max(0, Math.round(n));

/** Upstream calls the request made: its attempts but the candidates skipped before any call (at least 1: one served or was last called). */
const upstreamCalls = (p: ProxyOutcome): number => Math.max(1, p.attempts.filter((a) => a.failure !== "refused").length);

export class Accountant {
  readonly writer: LedgerWriter;
  readonly #credit: CreditGuard;
  readonly #limiter: RateLimiter;
  readonly #logger: Logger;
  #queued: Routed[] = [];
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
  recordSoon(o: Routed): Promise<void> {
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
   * The owner's own provider account: the provider bills them directly; free: nobody is billed;
   * pass-through: the upstream's reported cost; otherwise the catalog's prices.
   */
  #cost(o: Routed, prompt: number, completion: number): number {
    const charge = o.proxy.target.charge;
    switch (charge.kind) {
      case "owner":
      case "free":
        return 0;
      case "catalog":
        return costMicrodollars(prompt, completion, charge.pricing);
      case "passthrough":
        if (o.proxy.usage?.cost !== undefined) return reportedCostMicrodollars(o.proxy.usage.cost);
        if (o.status < 400) this.#logger.warn("pass-through request without a reported cost; recorded at 0", { requestId: o.requestId, model: o.proxy.model });
        return 0;
    }
  }

  /** Records and settles one request. Resolves when done; never rejects. */
  record(o: Routed): Promise<void> {
    const p = o.proxy;
    let write: Promise<void> | undefined;
    let actual = 0;
    try {
      const { prompt, completion, estimated } = tokensOf(o);
      actual = prompt + completion;
      if (p.owner !== null) {
        const cost = this.#cost(o, prompt, completion);
        if (cost > 0) this.#credit.debit(p.owner, cost);
        write = this.writer.write({
          requestId: o.requestId,
          owner: p.owner,
          apiKeyId: p.apiKeyId,
          model: p.model,
          resolvedModel: p.target.resolvedModel,
          provider: p.target.providerId,
          upstreamModel: p.target.upstreamModel,
          attempts: upstreamCalls(p),
          byok: ownersAccount(p.target),
          promptTokens: prompt,
          completionTokens: completion,
          estimated,
          costMicrodollars: cost,
          status: o.status,
          latencyMs: ms(o.endedAt - o.startedAt),
          ttfbMs: p.firstByteAt === null ? null : ms(p.firstByteAt - o.startedAt),
        });
      }
    } catch (err) {
      this.#logger.error("accounting failed", { requestId: o.requestId, error: describeError(err) });
    }
    // Both never reject: the writer and the limiter log their own failures.
    const work: Promise<void>[] = [];
    if (write) work.push(write);
    for (const r of p.reservations) work.push(this.#limiter.settle(r, actual));
    return work.length === 1 ? work[0]! : Promise.all(work).then(() => {});
  }
}

/**
 * Tokens to bill: the upstream's own count when it sent one; otherwise an estimate from the
 * prompt and from the text the client actually received (a stream cut short is billed for
 * what it delivered). A failed request that produced nothing is billed nothing.
 */
function tokensOf(o: Routed): { prompt: number; completion: number; estimated: boolean } {
  const p = o.proxy;
  if (p.usage) return { prompt: p.usage.prompt_tokens, completion: p.usage.completion_tokens, estimated: false };
  if (o.status >= 400 && p.generatedChars === 0) return { prompt: 0, completion: 0, estimated: false };
  return { prompt: p.promptTokens(), completion: tokensForChars(p.generatedChars), estimated: true };
}
