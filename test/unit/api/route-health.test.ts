// Health in route answers, through the gateway's router and container on PGlite: targets of a
// route with failover show what the health board has seen of them (a target no request went
// through shows none), and a failing read leaves health out rather than failing the answer.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildRouter } from "../../../src/api/router.ts";
import { ROUTES } from "../../../src/api/table.ts";
import { createApiKey } from "../../../src/auth/api-keys.ts";
import { parseConfig } from "../../../src/config/schema.ts";
import { createContainer, type Container } from "../../../src/container/container.ts";
import { createMemoryCounters } from "../../../src/counters/index.ts";
import type { WaitUntil } from "../../../src/domain/runtime.ts";
import { healthKeyOf } from "../../../src/routing/route-definition.ts";
import { alice, pgliteDb, seedOwners } from "../../support/owners.ts";

const NOW = 1_800_000_000_000;
const FAILOVER = { error_rate_threshold: 0.5, window_s: 60, min_requests: 4, cooldown_s: 30 };
const warnings: string[] = [];
const logger = { info() {}, warn: (msg: string) => void warnings.push(msg), error() {} };

interface TargetAnswer {
  model: string;
  health?: { state: string; error_rate: number; calls: number; cooling_ms: number };
}

let t: Awaited<ReturnType<typeof pgliteDb>>;
let c: Container;
let token = "";

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: { targets?: TargetAnswer[] } }> {
  const rc = { requestId: crypto.randomUUID(), startedAt: NOW, waitUntil: () => {}, onClientAbort: () => () => {}, caller: null, proxy: null, ended: null };
  const init: RequestInit = { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) };
  const res = await buildRouter(ROUTES, c)(new Request(`http://gateway${path}`, init), rc);
  return { status: res.status, body: (await res.json()) as { targets?: TargetAnswer[] } };
}

beforeAll(async () => {
  t = await pgliteDb();
  await seedOwners(t.db);
  token = (await createApiKey(t.db, { owner: alice })).key;
  c = createContainer({ config: parseConfig({}), db: t.db, counters: createMemoryCounters({ now: () => NOW }), fetch: globalThis.fetch, logger, now: () => NOW });
});
afterAll(async () => {
  await t.close();
});

describe("health in route answers", () => {
  it("shows what the board has seen of each target, and nothing of a target it has not", async () => {
    const created = await call("POST", "/v1/routes", { name: "watched", strategy: "fallback", targets: [{ model: "openai/a" }, { model: "groq/b" }], failover: FAILOVER });
    expect(created.status).toBe(201);
    expect(created.body.targets?.map((x) => x.health)).toEqual([undefined, undefined]);

    // What the resolver does for each call through target 0: track, record, refresh.
    const work: Promise<unknown>[] = [];
    const waitUntil: WaitUntil = (p) => void work.push(p);
    const key = healthKeyOf({ owner: alice, name: "watched" }, 0);
    c.health.track(key, { errorRateThreshold: 0.5, windowMs: 60_000, minRequests: 4, cooldownMs: 30_000 });
    for (let i = 0; i < 4; i++) c.health.record(key, false, waitUntil);
    await Promise.all(work);
    c.health.refresh(waitUntil);
    await Promise.all(work);

    const read = await call("GET", "/v1/routes/watched");
    expect(read.status).toBe(200);
    expect(read.body.targets).toEqual([
      { model: "openai/a", health: { state: "cooling", error_rate: 1, calls: 4, cooling_ms: 30_000 } },
      { model: "groq/b" },
    ]);
  });

  it("shows no health for a route without failover, and leaves it out when it cannot be read", async () => {
    expect((await call("POST", "/v1/routes", { name: "plain", strategy: "fallback", targets: [{ model: "openai/a" }] })).status).toBe(201);
    expect((await call("GET", "/v1/routes/plain")).body.targets).toEqual([{ model: "openai/a" }]);

    const board = c.routeHealth;
    c.routeHealth = () => Promise.reject(new Error("store down"));
    try {
      const read = await call("GET", "/v1/routes/watched");
      expect(read.status).toBe(200);
      expect(read.body.targets?.map((x) => x.health)).toEqual([undefined, undefined]);
      expect(warnings).toContain("route health unavailable");
    } finally {
      c.routeHealth = board;
    }
  });
});
