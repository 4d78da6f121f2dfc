// The endpoint-neutral attempt loop: take the ordered candidates routing resolved, admit each on
// its own, call it (attempt.ts), try it again or move on to the next while nothing has reached the
// client and the failure says "not here" (failover.ts, retry.ts), all within one deadline and an
// attempt budget, and relay the first answer that comes. What happened is left in rc.proxy;
// wrap() emits the request's one outcome from it, whatever the exit.
import type { Caller } from "../domain/caller.ts";
import type { WaitUntil } from "../domain/runtime.ts";
import { targetView, type ProxyOutcome } from "../domain/outcome.ts";
import type { UpstreamTarget } from "../domain/target.ts";
import type { RequestContext } from "../http/context.ts";
import { GatewayError } from "../http/errors.ts";
import type { Admission, AdmitRequest, RateOutcome } from "../policy/index.ts";
import { attempt, type AttemptDeps, type Failure } from "./attempt.ts";
import { describeAttempts } from "./attempts-summary.ts";
import type { Dialect, DialectRequest } from "./dialect.ts";
import { ContextFloor, failsOver } from "./failover.ts";
import { retries, retryDelay, type Backoff } from "./retry.ts";

export interface ForwardDeps extends AttemptDeps {
  admit(a: AdmitRequest): Promise<Admission>;
  /** One deadline for the whole request, however many tries it takes. */
  totalTimeoutMs: number;
  /** Upstream calls per request at most, over every try of every candidate. */
  maxAttempts: number;
  backoff: Backoff;
  sleep: (ms: number) => Promise<void>;
  /** Told of each upstream call of a target that keeps health counts (error-rate failover). */
  onCall?: (target: UpstreamTarget, ok: boolean, waitUntil: WaitUntil) => void;
  /** Completion tokens a token reservation assumes when the request sets no maximum. */
  defaultCompletionTokens: number;
}

/** One request to forward: its dialect and parsed body, who asks, and the candidates in order. */
export interface Forwarding<R extends DialectRequest> {
  dialect: Dialect<R>;
  request: R;
  /** The HTTP request (the platform's client IP for anonymous limits). */
  http: Request;
  caller: Caller;
  targets: readonly UpstreamTarget[];
  /** Candidates routing could not resolve for this caller, with why: reported like refusals. */
  skipped?: readonly { model: string; error: GatewayError }[];
  rc: RequestContext;
}

export type Forward = <R extends DialectRequest>(f: Forwarding<R>) => Promise<Response>;

export function forwarder(deps: ForwardDeps): Forward {
  /** The client's answer when no try served: the last failure, naming every attempt when there were several. */
  const answer = (failure: Failure, proxy: ProxyOutcome, calls: number): Response => {
    const summary = proxy.attempts.length > 1 ? describeAttempts(proxy.attempts) : null;
    if (failure instanceof GatewayError) {
      throw new GatewayError(failure.status, failure.code, summary ? `${summary} ${failure.message}` : failure.message, failure.param, { ...failure.headers, "x-gateway-attempts": String(calls) });
    }
    const body = summary ? { error: { ...failure.body.error, message: `${summary} ${failure.body.error.message}` } } : failure.body;
    return deps.document(JSON.stringify(body), { status: failure.status, headers: failure.headers });
  };

  return async function forward<R extends DialectRequest>(f: Forwarding<R>): Promise<Response> {
    const { dialect, request, caller, rc } = f;
    const proxy: ProxyOutcome = {
      model: request.model,
      owner: null,
      apiKeyId: caller.kind === "anonymous" ? null : caller.apiKeyId,
      target: null,
      attempts: [],
      firstByteAt: null,
      usage: undefined,
      generatedChars: 0,
      promptTokens: () => dialect.promptTokens(request),
      reservations: [],
    };
    rc.proxy = proxy;
    for (const s of f.skipped ?? []) proxy.attempts.push({ model: s.model, target: null, status: s.error.status, failure: "refused", reason: s.error.message, ms: 0 });
    let refusal: GatewayError | undefined = f.skipped?.at(-1)?.error;
    const deadline = rc.startedAt + deps.totalTimeoutMs;
    const estimate = () => dialect.requestTokens(request, deps.defaultCompletionTokens);
    let counted: RateOutcome | undefined;
    let calls = 0;
    let last: Failure | undefined;
    const context = new ContextFloor();

    candidates: for (const target of f.targets) {
      const tooShort = context.skip(target.contextLength);
      if (tooShort !== null) {
        proxy.attempts.push({ model: target.model, target: targetView(target), status: null, failure: "refused", reason: tooShort, ms: 0 });
        continue;
      }
      let admission: Admission;
      try {
        admission = await deps.admit({ caller, target, estimate, request: f.http, waitUntil: rc.waitUntil, counted });
      } catch (err) {
        // A candidate this caller may not use is skipped with its reason.
        if (!(err instanceof GatewayError)) throw err;
        refusal = err;
        proxy.attempts.push({ model: target.model, target: targetView(target), status: err.status, failure: "refused", reason: err.message, ms: 0 });
        continue;
      }
      counted = admission.rate;
      for (let tries = 1; ; tries++) {
        const remainingMs = deadline - deps.now();
        if (calls >= deps.maxAttempts || remainingMs <= 0) break candidates;
        calls++;
        const result = await attempt(deps, { dialect, request, rc, target, admission, proxy, remainingMs, calls });
        if (target.health !== null) deps.onCall?.(target, "served" in result, rc.waitUntil);
        if ("served" in result) return result.served;
        last = result.failure;
        if (!failsOver(result.failed)) return answer(last, proxy, calls);
        if (result.failed.code === "context_length_exceeded") context.exceeded(target.resolvedModel, target.contextLength);
        if (!retries(target.retry, tries, result.failed)) break;
        const wait = retryDelay(tries, result.failed.retryAfter, deps.backoff, deps.now());
        if (wait === null || deps.now() + wait >= deadline) break;
        await deps.sleep(wait);
      }
    }
    if (last !== undefined) return answer(last, proxy, calls);
    // No candidate could be used: the one refusal as it is, or every reason when there were several.
    if (refusal !== undefined) {
      if (proxy.attempts.length === 1) throw refusal;
      throw new GatewayError(refusal.status, refusal.code, `${describeAttempts(proxy.attempts)} ${refusal.message}`, refusal.param, refusal.headers);
    }
    throw new GatewayError(504, "upstream_timeout", "The request ran out of time before an upstream could answer.");
  };
}
