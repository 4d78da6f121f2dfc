// The chat pipeline's admission step, run after the route is known and before the upstream is
// called: organization allow-lists, then credit, then rate limits (last, so a request refused
// for policy or credit uses up none of the caller's rate). Everything here answers from
// per-isolate caches and the counter store; a warm request reads no database.
import { actingOwner, type Caller, type Owner, type SignedIn } from "../domain/caller.ts";
import type { UpstreamTarget } from "../domain/target.ts";
import type { Config } from "../config/schema.ts";
import type { Db } from "../store/db.ts";
import type { Logger, WaitUntil } from "../domain/runtime.ts";
import type { ClientIpSource } from "./client-ip.ts";
import type { CounterStore } from "../counters/index.ts";
import { withBreaker } from "../counters/breaker.ts";
import { CreditGuard, needsCredit } from "./credit.ts";
import { checkAllowLists, OrgPolicies, type OrgPolicy } from "./org-policy.ts";
import { keySegment, RateLimiter, UNLIMITED, type LimitSubject, type RateOutcome } from "./rate-limit.ts";

export { rateHeaders, type RateOutcome, type Reservation } from "./rate-limit.ts";

export interface PolicyDeps {
  config: Config;
  db: Db;
  counters: CounterStore;
  logger: Logger;
  now: () => number;
  clientIp?: ClientIpSource | undefined;
}

/** What admitting one candidate needs: who asks, for which target, and how many tokens it may use. */
export interface AdmitRequest {
  caller: Caller;
  target: UpstreamTarget;
  /** The most tokens the request may use; asked only when a token limit applies. */
  estimate: () => number;
  /** The HTTP request, for the platform's client IP (anonymous limits). */
  request: Request;
  waitUntil: WaitUntil;
  /**
   * The rate already counted for this request by an earlier candidate: a request is one request
   * to its caller's limits however many candidates it tries.
   */
  counted?: RateOutcome | undefined;
}

export interface Admission {
  /** Who pays; null for anonymous callers. */
  owner: Owner | null;
  rate: RateOutcome;
}

const NONE: readonly LimitSubject[] = Object.freeze([]);

export class Policy {
  readonly orgs: OrgPolicies;
  readonly credit: CreditGuard;
  readonly limiter: RateLimiter;
  readonly #clientIp: ClientIpSource | undefined;
  readonly #defaults: { rpm: number | null; tpm: number | null };

  constructor(deps: PolicyDeps) {
    const { config, now } = deps;
    this.#clientIp = deps.clientIp;
    this.orgs = new OrgPolicies(deps.db, { now });
    this.credit = new CreditGuard(deps.db, { now });
    this.limiter = new RateLimiter(
      withBreaker(deps.counters, { now }),
      {
        anonIpLimit: config.GATEWAY_ANON_IP_LIMIT,
        anonIpWindowMs: config.GATEWAY_ANON_IP_WINDOW_S * 1000,
        anonQuota: config.GATEWAY_ANON_QUOTA,
        anonQuotaWindowMs: config.GATEWAY_ANON_QUOTA_WINDOW_S * 1000,
        secret: config.GATEWAY_RATE_LIMIT_SECRET,
      },
      deps.logger,
      now,
    );
    this.#defaults = { rpm: config.GATEWAY_DEFAULT_RPM || null, tpm: config.GATEWAY_DEFAULT_TPM || null };
  }

  /** Admits one candidate or throws the 401/402/403/429/503 that says why not. */
  async admit(a: AdmitRequest): Promise<Admission> {
    const { caller, target } = a;
    if (caller.kind === "anonymous") {
      return { owner: null, rate: a.counted ?? (await this.limiter.anonymous(this.#clientIp?.(a.request) ?? null)) };
    }
    const owner = actingOwner(caller);
    if (owner === null) return { owner: null, rate: UNLIMITED };
    let org: OrgPolicy | undefined;
    if (owner.type === "org") {
      org = await this.orgs.get(owner.id);
      checkAllowLists(org, target.resolvedModel, target.providerId);
    }
    if (needsCredit(target)) {
      const pending = this.credit.check(owner);
      if (pending) await pending;
    }
    if (a.counted) return { owner, rate: a.counted };
    const pendingSubjects = this.#subjects(caller, owner, org);
    const subjects = Array.isArray(pendingSubjects) ? pendingSubjects : await pendingSubjects;
    if (subjects.length === 0) return { owner, rate: UNLIMITED };
    const rate = await this.limiter.signedIn(subjects, a.estimate, a.waitUntil);
    return { owner, rate };
  }

  /**
   * What a signed-in request counts against: its API key (or, for a JWT, its user) with the
   * key's own limits or the configured defaults, and the acting organization's limits if it set any.
   */
  #subjects(caller: SignedIn, owner: Owner, org: OrgPolicy | undefined): readonly LimitSubject[] | Promise<readonly LimitSubject[]> {
    const rpm = caller.limits.rpm ?? this.#defaults.rpm;
    const tpm = caller.limits.tpm ?? this.#defaults.tpm;
    const orgLimits = org?.limits ?? null;
    if (rpm === null && tpm === null && orgLimits === null) return NONE;
    const own = rpm !== null || tpm !== null;
    const orgKey = orgLimits !== null && owner.type === "org" ? keySegment(owner.id) : null;
    const ownKey = !own ? null : caller.apiKeyId !== null ? keySegment(caller.apiKeyId) : keySegment(caller.kind === "user" ? caller.userId : owner.id);
    const build = (ownSeg: string | null, orgSeg: string | null): LimitSubject[] => {
      const subjects: LimitSubject[] = [];
      if (ownSeg !== null) subjects.push({ key: `${caller.apiKeyId !== null ? "key" : "user"}:${ownSeg}`, rpm, tpm });
      if (orgSeg !== null && orgLimits !== null) subjects.push({ key: `org:${orgSeg}`, rpm: orgLimits.rpm, tpm: orgLimits.tpm });
      return subjects;
    };
    if (!(ownKey instanceof Promise) && !(orgKey instanceof Promise)) return build(ownKey, orgKey);
    return Promise.all([ownKey, orgKey]).then(([a, b]) => build(a, b));
  }
}
