// From a finished request to its usage row: real usage or an estimate, the cost in integer
// microdollars, nothing charged for BYOK or free models, and token reservations settled.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Accountant, accountable } from "../../../src/accounting/accountant.ts";
import { costMicrodollars } from "../../../src/accounting/cost.ts";
import { targetView, type Attempt, type Outcome, type Reservation } from "../../../src/domain/outcome.ts";
import type { Owner } from "../../../src/domain/owner.ts";
import type { UpstreamTarget } from "../../../src/domain/target.ts";
import type { Usage } from "../../../src/domain/usage.ts";
import type { UsageRow } from "../../../src/store/repos/ledger.ts";
import { createMemoryCounters } from "../../../src/counters/index.ts";
import { CreditGuard } from "../../../src/policy/credit.ts";
import { RateLimiter } from "../../../src/policy/rate-limit.ts";
import { openPglite, type OpenDb } from "../store/databases.ts";

describe("cost", () => {
  it("is tokens times per-million prices, rounded up to a whole microdollar", () => {
    const p = { inputPerMillion: 150_000, outputPerMillion: 600_000 };
    expect(costMicrodollars(1_000_000, 0, p)).toBe(150_000);
    expect(costMicrodollars(9, 3, p)).toBe(4); // 1.35 + 1.8 = 3.15 -> 4
    expect(costMicrodollars(0, 0, p)).toBe(0);
    // Past 2^53 it is still exact.
    expect(costMicrodollars(2_000_000_000, 1, { inputPerMillion: 3_000_000_000, outputPerMillion: 1 })).toBe(6_000_000_000_001);
  });
});

describe("accountant", () => {
  let open: OpenDb;
  let rows: UsageRow[];
  let accountant: Accountant;
  let limiter: RateLimiter;

  const route = (over: Partial<UpstreamTarget> = {}): UpstreamTarget => ({
    model: "openai/mock-model",
    resolvedModel: "openai/mock-model",
    providerId: "openai",
    kind: "builtin",
    baseUrl: "http://mock/v1",
    apiKey: "sk",
    extraHeaders: {},
    upstreamModel: "mock-model",
    charge: { kind: "catalog", pricing: { inputPerMillion: 1_000_000, outputPerMillion: 2_000_000 } },
    contextLength: null,
    guarded: false,
    retry: null,
    health: null,
    ...over,
  });

  /** A finished request, described flat; its outcome as the proxy leaves it. */
  interface Flat {
    owner: Owner | null;
    route: UpstreamTarget;
    status: number;
    firstByteAt: number | null;
    usage: Usage | undefined;
    generatedChars: number;
    reservations: readonly Reservation[];
    attempts: Attempt[];
    model: string;
  }
  const outcome = (over: Partial<Flat> = {}) => {
    const f: Flat = { owner: { type: "user", id: "u1" }, route: route(), status: 200, firstByteAt: 1012, usage: { prompt_tokens: 20, completion_tokens: 30 }, generatedChars: 0, reservations: [], attempts: [], model: "openai/mock-model", ...over };
    const o: Outcome = {
      requestId: `req-${crypto.randomUUID()}`,
      method: "POST",
      route: "createChatCompletion",
      status: f.status,
      startedAt: 1000,
      endedAt: 1100,
      caller: null,
      proxy: {
        model: f.model,
        owner: f.owner,
        apiKeyId: "key_1",
        target: f.route,
        attempts: f.attempts,
        firstByteAt: f.firstByteAt,
        usage: f.usage,
        generatedChars: f.generatedChars,
        // 40 characters of prompt.
        promptTokens: () => 10,
        reservations: f.reservations,
      },
    };
    if (!accountable(o)) throw new Error("fixture is not accountable");
    return o;
  };

  beforeAll(async () => {
    open = await openPglite();
    limiter = new RateLimiter(createMemoryCounters(), { anonIpLimit: 1, anonIpWindowMs: 1000, anonQuota: 1, anonQuotaWindowMs: 1000, secret: undefined }, console, Date.now);
    accountant = new Accountant({
      db: open.db,
      logger: { info: vi.fn(), warn: vi.fn(), error: vi.fn() },
      credit: new CreditGuard(open.db),
      limiter,
      writer: { maxDelayMs: 0, writeBatch: async (_db, batch) => void rows.push(...batch) },
    });
  });

  afterAll(async () => open?.close());

  it("records soon, not in the turn that ends the request: one later turn serves every request, and drain() waits for it", async () => {
    rows = [];
    const [a, b] = [outcome(), outcome()];
    const pa = accountant.recordSoon(a);
    const pb = accountant.recordSoon(b);
    expect(pa).toBe(pb);
    await Promise.resolve();
    expect(rows).toEqual([]); // the response is written before any of this runs
    await pb;
    expect(rows.map((r) => r.requestId)).toEqual([a.requestId, b.requestId]);

    const c = outcome();
    void accountant.recordSoon(c);
    await accountant.drain();
    expect(rows.map((r) => r.requestId)).toContain(c.requestId);
  });

  it("records the upstream's usage, cost, timings and route", async () => {
    rows = [];
    const o = outcome();
    await accountant.record(o);
    expect(rows).toEqual([
      {
        requestId: o.requestId,
        owner: { type: "user", id: "u1" },
        apiKeyId: "key_1",
        model: "openai/mock-model",
        resolvedModel: "openai/mock-model",
        provider: "openai",
        upstreamModel: "mock-model",
        attempts: 1,
        byok: false,
        promptTokens: 20,
        completionTokens: 30,
        estimated: false,
        costMicrodollars: 80,
        status: 200,
        latencyMs: 100,
        ttfbMs: 12,
      },
    ]);
  });

  it("names the model the client used and the one that served, with the upstream calls made (not the candidates skipped)", async () => {
    rows = [];
    const served = route({ model: "route/fast", resolvedModel: "groq/llama", providerId: "groq", upstreamModel: "llama" });
    const tried = (status: number | null, failure: Attempt["failure"], t: UpstreamTarget = route({ model: "route/fast" })): Attempt => ({ model: t.model, target: targetView(t), status, failure, reason: null, ms: 1 });
    const attempts = [tried(403, "refused"), tried(503, "status"), tried(null, "connect"), tried(200, null, served)];
    await accountant.record(outcome({ model: "route/fast", route: served, attempts }));
    expect(rows[0]).toMatchObject({ model: "route/fast", resolvedModel: "groq/llama", provider: "groq", upstreamModel: "llama", attempts: 3 });
  });

  it("estimates when the upstream reported nothing (e.g. a stream the client left), and says so", async () => {
    rows = [];
    await accountant.record(outcome({ usage: undefined, generatedChars: 41 }));
    expect(rows[0]).toMatchObject({ promptTokens: 10, completionTokens: 11, estimated: true, costMicrodollars: 32 });
  });

  it("charges nothing for BYOK and free models, and for a failure that produced nothing", async () => {
    rows = [];
    await accountant.record(outcome({ route: route({ charge: { kind: "owner" } }) }));
    await accountant.record(outcome({ route: route({ charge: { kind: "free" } }) }));
    await accountant.record(outcome({ status: 502, usage: undefined, firstByteAt: null }));
    expect(rows.map((r) => [r.byok, r.costMicrodollars, r.promptTokens])).toEqual([
      [true, 0, 20],
      [false, 0, 20],
      [false, 0, 0],
    ]);
    expect(rows[2]).toMatchObject({ status: 502, ttfbMs: null, estimated: false });
  });

  it("settles token reservations to the real total, anonymous requests included, and records no row without an owner", async () => {
    rows = [];
    const settle = vi.spyOn(limiter, "settle");
    const reservation = { key: "key:k", amount: 500, windowMs: 60_000, resetAt: 60_000 * Math.ceil(Date.now() / 60_000) };
    await accountant.record(outcome({ owner: null, reservations: [reservation] }));
    expect(settle).toHaveBeenCalledWith(reservation, 50);
    expect(rows).toEqual([]);
  });
});
