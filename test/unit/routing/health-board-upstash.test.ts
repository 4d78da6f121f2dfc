// Two gateway instances sharing one Upstash (the local REST stand-in on the real Redis), each
// with its own client and its own HealthBoard: errors seen by one move the other's traffic within
// one refresh interval, and traffic comes back to the target on both after its cooldown. Real time.
import { randomUUID } from "node:crypto";
import { Redis } from "@upstash/redis";
import { Redis as IORedis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUpstashCounters } from "../../../src/counters/index.ts";
import { withBreaker } from "../../../src/counters/breaker.ts";
import { createHealthBoard, effectiveWeights, type FailoverSettings, type HealthBoard } from "../../../src/routing/health-board.ts";
import { REDIS_URL, serviceAvailable } from "../../support/services.ts";
import { startUpstashRest, type UpstashStandIn } from "../../support/upstash-rest/index.ts";

const ok = await serviceAvailable("redis");
const REFRESH_MS = 1000;
const COOLDOWN_MS = 1500;
const SETTINGS: FailoverSettings = { errorRateThreshold: 0.5, windowMs: 60_000, minRequests: 5, cooldownMs: COOLDOWN_MS };
const FAILING = "route:operator:chat:0";
const STEADY = "route:operator:chat:1";
const silent = { info: () => {}, warn: () => {}, error: () => {} };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One gateway instance: its own Upstash client, store and board, and its own background work. */
function instance(standIn: UpstashStandIn, namespace: string) {
  const client = new Redis({ url: standIn.url, token: standIn.token, retry: false, enableTelemetry: false });
  const board = createHealthBoard(withBreaker(createUpstashCounters(client, { namespace })), { logger: silent, refreshMs: REFRESH_MS });
  const pending: Promise<unknown>[] = [];
  const waitUntil = (p: Promise<unknown>) => void pending.push(p);
  return {
    board,
    waitUntil,
    /** What a request does for routing: track the route's targets, maybe refresh, read the views. */
    route(): number[] {
      for (const key of [FAILING, STEADY]) board.track(key, SETTINGS);
      board.refresh(waitUntil);
      return effectiveWeights([1, 1], [board.view(FAILING), board.view(STEADY)]);
    },
    async settle(): Promise<void> {
      while (pending.length > 0) await Promise.all(pending.splice(0));
    },
  };
}

/** Routes on `at` every 50 ms until `done` holds; resolves with the time it took. */
async function until(at: ReturnType<typeof instance>, done: (board: HealthBoard) => boolean, limitMs: number): Promise<number> {
  const started = Date.now();
  while (!done(at.board)) {
    if (Date.now() - started > limitMs) throw new Error(`not reached within ${limitMs} ms`);
    at.route();
    await sleep(50);
  }
  await at.settle();
  return Date.now() - started;
}

describe.skipIf(!ok)("HealthBoard: two instances over one Upstash", () => {
  let standIn: UpstashStandIn;
  let raw: IORedis;
  const namespace = `eg:rl:test:${randomUUID()}`;

  beforeAll(async () => {
    standIn = await startUpstashRest({ redisUrl: REDIS_URL });
    raw = new IORedis(REDIS_URL);
  });

  afterAll(async () => {
    const keys = await raw?.keys(`${namespace}:*`);
    if (keys !== undefined && keys.length > 0) await raw.del(...keys);
    raw?.disconnect();
    await standIn?.close();
  });

  it("errors seen by one move the other's traffic within a refresh, and traffic returns after the cooldown", async () => {
    const a = instance(standIn, namespace);
    const b = instance(standIn, namespace);
    expect(a.route()).toEqual([1, 1]);
    expect(b.route()).toEqual([1, 1]); // b has just refreshed: its next refresh is a full interval away
    await Promise.all([a.settle(), b.settle()]);

    // Only instance a sees the failures.
    for (let i = 0; i < 6; i++) a.board.record(FAILING, false, a.waitUntil);
    for (let i = 0; i < 6; i++) a.board.record(STEADY, true, a.waitUntil);
    await a.settle();

    await until(a, (board) => board.view(FAILING).state === "cooling", 2 * REFRESH_MS);
    const tripped = Date.now();
    expect(a.board.view(FAILING)).toMatchObject({ state: "cooling", errorRate: 1, calls: 6 });
    expect(a.route().map((w) => +w.toFixed(6))).toEqual([0.2, 1.8]);

    // b never saw a failing call; it learns of the trip through the store on its next refresh.
    const waited = await until(b, (board) => board.view(FAILING).state === "cooling", 2 * REFRESH_MS);
    expect(Date.now() - tripped).toBeLessThanOrEqual(REFRESH_MS + 250);
    expect(waited).toBeLessThanOrEqual(REFRESH_MS + 250);
    expect(b.board.view(FAILING).coolingMs).toBeGreaterThan(0);
    expect(b.board.view(STEADY)).toMatchObject({ state: "healthy", calls: 6, errorRate: 0 });
    expect(b.route().map((w) => +w.toFixed(6))).toEqual([0.2, 1.8]);

    // After the cooldown both send the target its full share again, and neither trips it anew:
    // the trip forgot the failures, so it is judged afresh.
    await sleep(Math.max(0, tripped + COOLDOWN_MS + 50 - Date.now()));
    for (const at of [a, b]) {
      expect(at.route()).toEqual([1, 1]);
      await sleep(REFRESH_MS + 50);
      expect(at.route()).toEqual([1, 1]);
      await at.settle();
      expect(at.board.view(FAILING)).toEqual({ state: "healthy", errorRate: 0, calls: 0, coolingMs: 0 });
    }
  });
});
