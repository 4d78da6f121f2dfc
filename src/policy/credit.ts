// Pipeline step "policy", credit part: a paid model needs a positive balance on the acting
// owner. Balances are cached per isolate for a few seconds (the warm path reads no database),
// and this isolate's own charges are subtracted from its cached copy as they are recorded, so
// one isolate cannot run far past zero; other isolates catch up when their entry expires.
import { eq, sql } from "drizzle-orm";
import type { Owner } from "../auth/caller.ts";
import type { ResolvedModel } from "../chat/resolve-model.ts";
import type { Db } from "../db/db.ts";
import { ownedBy } from "../db/owner.ts";
import { balanceOf } from "../db/repos/credit.ts";
import { usageLedger } from "../db/schema/index.ts";
import { GatewayError } from "../http/errors.ts";

export interface BalanceFacts {
  balance: number;
  /** The owner has paid for usage before: out of credit rather than never funded. */
  used: boolean;
}

/** Balance and whether any paid usage exists, in one round trip; undefined when the owner is gone. */
export async function loadBalanceFacts(db: Db, owner: Owner): Promise<BalanceFacts | undefined> {
  const b = balanceOf(owner);
  const [row] = await db
    .select({
      balance: b.credit,
      used: sql<number>`case when exists (select 1 from ${usageLedger} where ${ownedBy(usageLedger, owner)} and ${usageLedger.costMicrodollars} > 0) then 1 else 0 end`.mapWith(Number),
    })
    .from(b.table)
    .where(eq(b.id, owner.id));
  return row && { balance: row.balance, used: row.used === 1 };
}

/** Served on the operator's account at a price: the only requests that need credit. */
export function needsCredit(route: ResolvedModel): boolean {
  const p = route.pricing;
  return !route.byok && !route.free && p !== null && (p.inputPerMillion > 0 || p.outputPerMillion > 0);
}

export interface CreditOptions {
  /** How long a positive balance is trusted (default 10 s). */
  ttlMs?: number;
  /** How long "no credit" is remembered; short so a top-up shows soon (default 2 s). */
  emptyTtlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  facts: BalanceFacts;
  expires: number;
}

const ownerKey = (owner: Owner) => (owner.type === "user" ? `u\u0000${owner.id}` : `o\u0000${owner.id}`);
/** "$12.50", "-$0.000015": whole cents when exact, else to the microdollar. */
function dollars(micro: number): string {
  const abs = Math.abs(micro);
  return `${micro < 0 ? "-" : ""}$${(abs / 1_000_000).toFixed(abs % 10_000 === 0 ? 2 : 6)}`;
}

export class CreditGuard {
  readonly #entries = new Map<string, Entry>();
  readonly #loading = new Map<string, Promise<BalanceFacts>>();
  readonly #ttlMs: number;
  readonly #emptyTtlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(
    private readonly db: Db,
    opts: CreditOptions = {},
  ) {
    this.#ttlMs = opts.ttlMs ?? 10_000;
    this.#emptyTtlMs = opts.emptyTtlMs ?? 2_000;
    this.#maxEntries = opts.maxEntries ?? 10_000;
    this.#now = opts.now ?? Date.now;
  }

  /**
   * Throws 402 unless the owner has credit. Answers synchronously (undefined) from a warm
   * cache entry, so the hot path pays no promise for it.
   */
  check(owner: Owner): Promise<void> | undefined {
    const key = ownerKey(owner);
    const hit = this.#entries.get(key);
    if (hit && hit.expires > this.#now()) return hit.facts.balance > 0 ? undefined : Promise.reject(refusal(owner, hit.facts));
    return this.#load(key, owner).then((facts) => {
      if (facts.balance <= 0) throw refusal(owner, facts);
    });
  }

  /** This isolate recorded a charge: keep its cached balance honest until the entry expires. */
  debit(owner: Owner, amount: number): void {
    const hit = this.#entries.get(ownerKey(owner));
    if (!hit) return;
    hit.facts.balance -= amount;
    hit.facts.used = true;
    // Empty now: ask again soon, as for any empty balance (a top-up may be on its way).
    if (hit.facts.balance <= 0) hit.expires = Math.min(hit.expires, this.#now() + this.#emptyTtlMs);
  }

  /** After a write to the owner's balance through this isolate (e.g. added credit). */
  forget(owner: Owner): void {
    const key = ownerKey(owner);
    this.#entries.delete(key);
    this.#loading.delete(key);
  }

  #load(key: string, owner: Owner): Promise<BalanceFacts> {
    const pending = this.#loading.get(key);
    if (pending) return pending;
    // An owner that vanished has no credit; its requests fail elsewhere soon enough.
    const loading = loadBalanceFacts(this.db, owner).then(
      (found) => {
        const facts = found ?? { balance: 0, used: false };
        if (this.#loading.get(key) === loading) {
          this.#loading.delete(key);
          this.#entries.delete(key);
          this.#entries.set(key, { facts, expires: this.#now() + (facts.balance > 0 ? this.#ttlMs : this.#emptyTtlMs) });
          if (this.#entries.size > this.#maxEntries) {
            const oldest = this.#entries.keys().next();
            if (!oldest.done) this.#entries.delete(oldest.value);
          }
        }
        return facts;
      },
      (err: unknown) => {
        if (this.#loading.get(key) === loading) this.#loading.delete(key);
        throw err;
      },
    );
    this.#loading.set(key, loading);
    return loading;
  }
}

function refusal(owner: Owner, facts: BalanceFacts): GatewayError {
  const whose = owner.type === "org" ? `Your organization "${owner.id}"` : "Your account";
  const message = facts.used
    ? `${whose} is out of credit (balance ${dollars(facts.balance)}). Add credit to keep using paid models; free models (see GET /v1/models) remain available.`
    : `${whose} has no credit yet. Paid models need a positive balance: ask the gateway operator to add credit to your account (POST /admin/credits), or use a free model (see GET /v1/models).`;
  return new GatewayError(402, "insufficient_credits", message);
}
