// Pipeline step "policy", credit part: a paid model needs a positive balance on the acting
// owner. Balances are cached per isolate for a few seconds (the warm path reads no database),
// and this isolate's own charges are subtracted from its cached copy as they are recorded, so
// one isolate cannot run far past zero; other isolates catch up when their entry expires.
import type { Owner } from "../domain/caller.ts";
import { TtlCache } from "../cache/ttl-cache.ts";
import type { UpstreamTarget } from "../domain/target.ts";
import type { Db } from "../store/db.ts";
import { loadBalanceFacts, type BalanceFacts } from "../store/repos/credit.ts";
import { GatewayError } from "../http/errors.ts";

/**
 * Served on the operator's account and not marked free: such a request needs credit, whatever
 * its price (a model is free only when the catalog says so, never because a price is missing).
 */
export function needsCredit(target: Pick<UpstreamTarget, "charge">): boolean {
  return target.charge.kind === "catalog" || target.charge.kind === "passthrough";
}

export interface CreditOptions {
  /** How long a positive balance is trusted (default 10 s). */
  ttlMs?: number;
  /** How long "no credit" is remembered; short so a top-up shows soon (default 2 s). */
  emptyTtlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

const ownerKey = (owner: Owner) => (owner.type === "user" ? `u\u0000${owner.id}` : `o\u0000${owner.id}`);
/** "$12.50", "-$0.000015": whole cents when exact, else to the microdollar. */
function dollars(micro: number): string {
  const abs = Math.abs(micro);
  return `${micro < 0 ? "-" : ""}$${(abs / 1_000_000).toFixed(abs % 10_000 === 0 ? 2 : 6)}`;
}

export class CreditGuard {
  readonly #cache: TtlCache<BalanceFacts>;
  readonly #emptyTtlMs: number;

  constructor(
    private readonly db: Db,
    opts: CreditOptions = {},
  ) {
    const ttlMs = opts.ttlMs ?? 10_000;
    this.#emptyTtlMs = opts.emptyTtlMs ?? 2_000;
    this.#cache = new TtlCache<BalanceFacts>({
      ttlMs,
      negativeTtlMs: this.#emptyTtlMs,
      ttlFor: (facts) => (facts.balance > 0 ? ttlMs : this.#emptyTtlMs),
      maxEntries: opts.maxEntries ?? 10_000,
      ...(opts.now ? { now: opts.now } : {}),
    });
  }

  /**
   * Throws 402 unless the owner has credit. Answers synchronously (undefined) from a warm
   * cache entry, so the hot path pays no promise for it.
   */
  check(owner: Owner): Promise<void> | undefined {
    const key = ownerKey(owner);
    const hit = this.#cache.peek(key);
    if (hit) return hit.balance > 0 ? undefined : Promise.reject(refusal(owner, hit));
    // An owner that vanished has no credit; its requests fail elsewhere soon enough.
    return this.#cache
      .get(key, async () => (await loadBalanceFacts(this.db, owner)) ?? { balance: 0, used: false })
      .then((facts = { balance: 0, used: false }) => {
        if (facts.balance <= 0) throw refusal(owner, facts);
      });
  }

  /** This isolate recorded a charge: keep its cached balance honest until the entry expires. */
  debit(owner: Owner, amount: number): void {
    const key = ownerKey(owner);
    const hit = this.#cache.peek(key);
    if (!hit) return;
    hit.balance -= amount;
    hit.used = true;
    // Empty now: ask again soon, as for any empty balance (a top-up may be on its way).
    if (hit.balance <= 0) this.#cache.shorten(key, this.#emptyTtlMs);
  }

  /** After a write to the owner's balance through this isolate (e.g. added credit). */
  forget(owner: Owner): void {
    this.#cache.delete(ownerKey(owner));
  }
}

function refusal(owner: Owner, facts: BalanceFacts): GatewayError {
  const whose = owner.type === "org" ? `Your organization "${owner.id}"` : "Your account";
  const message = facts.used
    ? `${whose} is out of credit (balance ${dollars(facts.balance)}). Add credit to keep using paid models; free models (see GET /v1/models) remain available.`
    : `${whose} has no credit yet. Paid models need a positive balance: ask the gateway operator to add credit to your account (POST /admin/credits), or use a free model (see GET /v1/models).`;
  return new GatewayError(402, "insufficient_credits", message);
}
