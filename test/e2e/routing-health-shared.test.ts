// Two Node gateways sharing one Upstash (the REST stand-in over the real Redis), each with its own
// database and the same GATEWAY_ROUTES route: errors seen by gateway 1 alone move gateway 2's
// traffic off the failing target within one health refresh (~1 s), gateway 2 keeps a probe share
// on it, and its normal split comes back when cooldown_s ends. Real time; the route's name is
// fresh per run, so its counters in Redis are its own (and removed afterwards).
import { randomBytes, randomUUID } from "node:crypto";
import { Redis as IORedis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pickWeighted, splitPoint } from "../../src/routing/split.ts";
import { ADMIN_TOKEN } from "../conformance/suite.ts";
import { startMockLlm, type MockLlm } from "../support/mock-llm/index.ts";
import { startNode, type NodeGateway } from "../support/runtimes/node.ts";
import { REDIS_URL, serviceAvailable } from "../support/services.ts";
import { startUpstashRest, type UpstashStandIn } from "../support/upstash-rest/index.ts";

const ok = await serviceAvailable("redis");

const NAME = `shared-${randomBytes(4).toString("hex")}`;
const COOLDOWN_MS = 4000;
/** The health board's refresh interval (health-board.ts default). */
const REFRESH_MS = 1000;
/** How far gateway 2's refresh clock runs behind gateway 1's. */
const PHASE_MS = 800;
const ROUTE = {
  name: NAME,
  strategy: "weighted",
  targets: [{ model: "openai/alpha", weight: 1 }, { model: "groq/beta", weight: 1 }],
  failover: { error_rate_threshold: 0.5, window_s: 30, min_requests: 5, cooldown_s: COOLDOWN_MS / 1000 },
};
const A = "openai/alpha";
const B = "groq/beta";
const SAMPLE = 300;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Where a task lands with no target cooling ([1, 1]) and with A cooling ([0.2, 1.8]: 10% probe share). */
function landing(taskId: string): { normal: number; cooling: number } {
  const point = splitPoint(`task:${taskId}`, `config:${NAME}`);
  return { normal: pickWeighted([1, 1], point), cooling: pickWeighted([0.2, 1.8], point) };
}
/** A task id that lands as asked. */
function taskWhere(want: (l: { normal: number; cooling: number }) => boolean): string {
  for (;;) {
    const id = randomUUID();
    if (want(landing(id))) return id;
  }
}
// On A normally, on B while A cools: shows the moment gateway 2 shifts.
const WITNESS = taskWhere((l) => l.normal === 0 && l.cooling === 1);
// On B either way: keeps gateway 2 busy (and refreshing) without calling A.
const STEADY = Array.from({ length: 5 }, () => taskWhere((l) => l.normal === 1));

interface Gateway {
  gw: NodeGateway;
  key: string;
}

async function gateway(standIn: UpstashStandIn, mock: MockLlm): Promise<Gateway> {
  const gw = await startNode({
    OPENAI_API_KEY: "sk-openai-shared",
    OPENAI_BASE_URL: mock.baseUrl,
    GROQ_API_KEY: "sk-groq-shared",
    GROQ_BASE_URL: mock.baseUrl,
    GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN,
    GATEWAY_ROUTES: JSON.stringify([ROUTE]),
    UPSTASH_REDIS_REST_URL: standIn.url,
    UPSTASH_REDIS_REST_TOKEN: standIn.token,
  });
  const admin = async (path: string, body: unknown) => {
    const res = await fetch(`${gw.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    expect(res.status, await res.clone().text()).toBeLessThan(300);
    return res;
  };
  await admin("/admin/users", { id: "u" });
  for (const t of ROUTE.targets) await admin("/admin/models", { id: t.model, provider: t.model.split("/")[0], input_price: 0.1, output_price: 0.2 });
  await admin("/admin/credits", { owner: { type: "user", id: "u" }, amount_microdollars: 1_000_000_000 });
  const key = ((await (await admin("/admin/api-keys", { owner: { type: "user", id: "u" } })).json()) as { key: string }).key;
  return { gw, key };
}

interface Served {
  model: string;
  attempts: number;
}

/** One chat through `route/<NAME>` as task `taskId`; `mock` steers the upstream. Must succeed. */
async function chat(g: Gateway, taskId: string, mock?: unknown): Promise<Served> {
  const res = await fetch(`${g.gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${g.key}`, "content-type": "application/json", "x-gateway-task-id": taskId },
    body: JSON.stringify({ model: `route/${NAME}`, messages: [{ role: "user", content: "hi" }], ...(mock === undefined ? {} : { mock }) }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  await res.arrayBuffer();
  return { model: `${res.headers.get("x-gateway-provider")}/${res.headers.get("x-gateway-model")}`, attempts: Number(res.headers.get("x-gateway-attempts")) };
}

/** A's health as gateway `g`'s board shows it (GET /admin/routes/<name>). */
async function healthOfA(g: Gateway): Promise<{ state: string; cooling_ms: number } | undefined> {
  const res = await fetch(`${g.gw.url}/admin/routes/${NAME}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const route = (await res.json()) as { targets: { health?: { state: string; cooling_ms: number } }[] };
  return route.targets[0]?.health;
}

/** A's share (in percent) of SAMPLE fresh task ids on `g`; every answer came on the first try. */
async function shareOfA(g: Gateway): Promise<number> {
  const ids = Array.from({ length: SAMPLE }, () => randomUUID());
  let a = 0;
  for (let i = 0; i < ids.length; i += 8) {
    for (const s of await Promise.all(ids.slice(i, i + 8).map((id) => chat(g, id)))) {
      expect(s.attempts).toBe(1);
      if (s.model === "openai/alpha") a++;
    }
  }
  return (100 * a) / SAMPLE;
}

describe.skipIf(!ok)("failover health shared by two gateways over Upstash", () => {
  let standIn: UpstashStandIn;
  let mock: MockLlm;
  let gw1: Gateway;
  let gw2: Gateway;

  beforeAll(async () => {
    standIn = await startUpstashRest({ redisUrl: REDIS_URL });
    mock = await startMockLlm();
    [gw1, gw2] = await Promise.all([gateway(standIn, mock), gateway(standIn, mock)]);
  });

  afterAll(async () => {
    await Promise.all([gw1?.gw.close(), gw2?.gw.close()]);
    await mock?.close();
    await standIn?.close();
    const raw = new IORedis(REDIS_URL);
    const keys = await raw.keys(`*:route:operator:${NAME}:*`);
    if (keys.length > 0) await raw.del(...keys);
    raw.disconnect();
  });

  it("moves gateway 2 off a target only gateway 1 saw failing within a refresh, keeps a probe, and comes back after the cooldown", async () => {
    // Both start on the normal split (this also checks the witness was computed as the gateway
    // splits). A board refreshes on the first request after each interval, so these first requests
    // set the two gateways' refresh clocks PHASE_MS apart: gateway 2 last read the store well
    // before gateway 1 trips, and must wait most of an interval to learn of it (not the lucky case
    // of reading just after).
    const t0 = Date.now();
    expect((await chat(gw1, WITNESS)).model).toBe(A);
    await sleep(t0 + PHASE_MS - Date.now());
    expect((await chat(gw2, WITNESS)).model).toBe(A);

    // Gateway 2 keeps serving steady traffic (on B only, so its calls never dilute A's error rate).
    let busy = true;
    const steady = (async () => {
      for (let i = 0; busy; i++) {
        expect(await chat(gw2, STEADY[i % STEADY.length]!)).toEqual({ model: B, attempts: 1 });
        await sleep(20);
      }
    })();
    steady.catch(() => {}); // its failure is reported where it is awaited, below

    // Only gateway 1 sees A fail (503, then B answers), until its board trips A.
    let tripAt = 0;
    const giveUp = Date.now() + 5000;
    while (tripAt === 0) {
      expect(Date.now(), "gateway 1 never tripped A").toBeLessThan(giveUp);
      expect((await chat(gw1, randomUUID(), { by_model: { alpha: { status: 503 } } })).model).toBe(B);
      const h = await healthOfA(gw1);
      // When the board marked it: now minus the cooldown already spent.
      if (h?.state === "cooling") tripAt = Date.now() - (COOLDOWN_MS - h.cooling_ms);
    }
    busy = false;
    await steady;

    // Gateway 2 never saw A fail; it follows on its next refresh.
    let shiftedAt = 0;
    while (shiftedAt === 0) {
      expect(Date.now() - tripAt, "gateway 2 never moved off A").toBeLessThan(3 * REFRESH_MS);
      const s = await chat(gw2, WITNESS);
      expect(s.attempts).toBe(1);
      if (s.model === B) shiftedAt = Date.now();
      else await sleep(20);
    }
    const shiftMs = shiftedAt - tripAt;
    console.info(`gateway 2 shifted ${shiftMs} ms after gateway 1 tripped A`);
    expect(shiftMs).toBeLessThanOrEqual(REFRESH_MS + 300);
    expect((await healthOfA(gw2))?.state).toBe("cooling");

    // While A cools, gateway 2 still sends it a probe share (10% of the weight; σ = 1.7 pp here).
    const cooling = await shareOfA(gw2);
    expect(Date.now()).toBeLessThan(tripAt + COOLDOWN_MS - 200); // measured inside the cooldown
    console.info(`A's share on gateway 2 while cooling: ${cooling.toFixed(1)}%`);
    expect(cooling).toBeGreaterThanOrEqual(3);
    expect(cooling).toBeLessThanOrEqual(20);

    // Just before the cooldown ends the witness is still moved; right after it, it is back on A.
    await sleep(tripAt + COOLDOWN_MS - 300 - Date.now());
    expect((await chat(gw2, WITNESS)).model).toBe(B);
    let backAt = 0;
    while (backAt === 0) {
      expect(Date.now() - tripAt, "gateway 2 never came back to A").toBeLessThan(COOLDOWN_MS + REFRESH_MS);
      if ((await chat(gw2, WITNESS)).model === A) backAt = Date.now();
      else await sleep(20);
    }
    console.info(`gateway 2 back on A ${backAt - tripAt} ms after the trip (cooldown ${COOLDOWN_MS} ms)`);
    expect(backAt - tripAt).toBeGreaterThanOrEqual(COOLDOWN_MS - 50);
    expect(backAt - tripAt).toBeLessThanOrEqual(COOLDOWN_MS + 500);

    // The normal split again (50/50; σ = 2.9 pp at 300 ids), on both gateways.
    for (const g of [gw2, gw1]) {
      const share = await shareOfA(g);
      expect(Math.abs(share - 50)).toBeLessThanOrEqual(10);
    }
    expect((await healthOfA(gw2))?.state).toBe("healthy");
  }, 20_000);
});
