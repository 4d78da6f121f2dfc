// The Upstash store through the unmodified @upstash/redis client and the local Upstash REST
// stand-in on the real Redis: the shared contract, real-time expiry, what lands in Redis, and
// how outages surface.
import { randomUUID } from "node:crypto";
import { createServer as createHttpServer } from "node:http";
import { createServer as createTcpServer } from "node:net";
import { Redis } from "@upstash/redis";
import { Redis as IORedis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CounterStoreError, createUpstashCounters, hashIdentifier, type CounterStore } from "../../../src/counters/index.ts";
import { counterKey, windowEnd, windowIndex } from "../../../src/counters/windows.ts";
import { REDIS_URL, serviceAvailable } from "../../support/services.ts";
import { startUpstashRest, type UpstashStandIn } from "../../support/upstash-rest/index.ts";
import { counterStoreContract } from "./counter-store-contract.ts";

const ok = await serviceAvailable("redis");
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const sleepUntil = (t: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, t - Date.now())));
const newNamespace = () => `eg:rl:test:${randomUUID()}`;
const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) => error,
  );

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createTcpServer().listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (address !== null && typeof address === "object" ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

describe.skipIf(!ok)("Upstash counters", () => {
  let standIn: UpstashStandIn;
  let redis: Redis;
  let raw: IORedis;
  const upstash = (url: string, extra: { signal?: () => AbortSignal } = {}) =>
    new Redis({ url, token: standIn.token, retry: false, enableTelemetry: false, ...extra });

  async function keysUnder(pattern: string): Promise<string[]> {
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await raw.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== "0");
    return keys;
  }

  async function wipe(namespace: string): Promise<void> {
    const keys = await keysUnder(`${namespace}:*`);
    if (keys.length > 0) await raw.del(...keys);
  }

  beforeAll(async () => {
    standIn = await startUpstashRest({ redisUrl: REDIS_URL });
    redis = upstash(standIn.url);
    raw = new IORedis(REDIS_URL);
  });

  afterAll(async () => {
    await standIn?.close();
    raw?.disconnect();
  });

  describe("contract", () => {
    counterStoreContract(async () => {
      const namespace = newNamespace();
      return { store: createUpstashCounters(redis, { namespace }), close: () => wipe(namespace) };
    });
  });

  describe("in Redis", () => {
    let namespace: string;
    let store: CounterStore;

    beforeAll(() => {
      namespace = newNamespace();
      store = createUpstashCounters(redis, { namespace });
    });

    afterAll(() => wipe(namespace));

    it("checks and counts with one Redis command per operation", async () => {
      const hour = { limit: 100, windowMs: HOUR };
      const run = async () => {
        await store.hit("user:one", { ...hour, kind: "fixed" });
        await store.hit("user:one", { ...hour, kind: "sliding" });
        const r = await store.reserve("user:one", 10, hour);
        await store.settle("user:one", 10, 4, { windowMs: HOUR, resetAt: r.resetAt });
        await store.recordCall("route:one:0", false, HOUR);
        await store.readHealth([
          { key: "route:one:0", windowMs: HOUR },
          { key: "route:one:1", windowMs: HOUR },
        ]);
        await store.trip("route:one:0", 1000);
      };
      await run(); // loads the scripts (EVALSHA, NOSCRIPT, EVAL)
      const before = standIn.commands;
      await run();
      expect(standIn.commands - before).toBe(7);
      await store.readHealth([]); // nothing to ask
      expect(standIn.commands - before).toBe(7);
    });

    it("keeps a target's health in one hash and its cooldown in one marker, under the namespace, expiring on their own", async () => {
      const record = `${namespace}:health:route:keys:0`;
      const marker = `${namespace}:cooling:route:keys:0`;
      await store.recordCall("route:keys:0", true, HOUR);
      await store.recordCall("route:keys:0", false, HOUR);
      expect(await raw.type(record)).toBe("hash");
      expect(await raw.hgetall(record)).toEqual({ ms: String(HOUR), w: String(windowIndex(Date.now(), HOUR)), c: "2", e: "1", pc: "0", pe: "0" });
      // Read across two windows, so it lives two windows (plus the slack the other counters get).
      const ttl = await raw.pttl(record);
      expect(ttl).toBeGreaterThan(2 * HOUR);
      expect(ttl).toBeLessThanOrEqual(2 * HOUR + 1000);

      await store.trip("route:keys:0", 5000);
      expect(await raw.exists(record)).toBe(0);
      expect(await raw.pttl(marker)).toBeGreaterThan(4000);
      expect(await raw.pttl(marker)).toBeLessThanOrEqual(5000);
      expect(await keysUnder(`*route:keys:0*`)).toEqual([marker]);
    });

    it("drops a health record two windows after its last call, in real time", async () => {
      const W = 200;
      await store.recordCall("route:gone:0", false, W);
      const written = Date.now();
      expect(await raw.exists(`${namespace}:health:route:gone:0`)).toBe(1);
      await sleepUntil(written + 2 * W + 1000 + 50);
      expect(await raw.exists(`${namespace}:health:route:gone:0`)).toBe(0);
    });

    it("reopens windows and expires counters in real time", async () => {
      const W = 400;
      const fixed = { limit: 2, windowMs: W, kind: "fixed" } as const;
      await sleepUntil(windowEnd(windowIndex(Date.now(), W), W) + 5); // a whole window ahead
      const burst = [await store.hit("user:rt", fixed), await store.hit("user:rt", fixed), await store.hit("user:rt", fixed)];
      const written = Date.now();
      expect(burst.map((r) => r.allowed)).toEqual([true, true, false]);
      const firstKey = counterKey(namespace, "fixed", W, "user:rt", (burst[0]?.resetAt ?? 0) / W - 1);
      const ttl = await raw.pttl(firstKey);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(W + 1000);

      await sleepUntil((burst[2]?.resetAt ?? 0) + 5);
      expect(await store.hit("user:rt", fixed)).toMatchObject({ allowed: true, remaining: 1 });

      const sliding = { limit: 1, windowMs: W, kind: "sliding" } as const;
      const first = await store.hit("user:rts", sliding);
      expect(first.allowed).toBe(true);
      expect((await store.hit("user:rts", sliding)).allowed).toBe(false);
      await sleepUntil(first.resetAt + W + 5); // the first window no longer overlaps
      expect((await store.hit("user:rts", sliding)).allowed).toBe(true);

      // Redis drops the first window's counter on its own: old windows do not pile up.
      await sleepUntil(written + W + 1000 + 50);
      expect(await raw.exists(firstKey)).toBe(0);
    });

    it("stores hashed identifiers only", async () => {
      const ip = "203.0.113.7";
      const hashed = await hashIdentifier(ip, "test-pepper");
      const key = `anon-ip:${hashed}`;
      await store.hit(key, { limit: 200, windowMs: HOUR, kind: "sliding" });
      await store.hit(key, { limit: 10_000, windowMs: 24 * HOUR, kind: "fixed" });
      const r = await store.reserve(key, 50, { limit: 1000, windowMs: MINUTE });
      await store.settle(key, 50, 70, { windowMs: MINUTE, resetAt: r.resetAt });

      const before = standIn.commands;
      expect(await rejection(store.hit(`anon-ip:${ip}`, { limit: 200, windowMs: HOUR, kind: "sliding" }))).toBeInstanceOf(TypeError);
      expect(standIn.commands).toBe(before);

      const ours = (await keysUnder(`${namespace}:*`)).filter((k) => k.includes(":anon-ip:"));
      expect(ours).toHaveLength(3);
      for (const k of ours) {
        expect(k).toContain(hashed);
        expect(await raw.get(k)).toMatch(/^\d+$/);
      }
      expect(await keysUnder(`*${ip}*`)).toEqual([]);
    });
  });

  describe("outages", () => {
    const namespace = newNamespace();
    const hour = { limit: 5, windowMs: HOUR };
    const everyOperation = (store: CounterStore) => [
      store.hit("user:x", { ...hour, kind: "fixed" }),
      store.hit("user:x", { ...hour, kind: "sliding" }),
      store.reserve("user:x", 1, hour),
      store.settle("user:x", 1, 2, { windowMs: HOUR, resetAt: windowEnd(windowIndex(Date.now(), HOUR), HOUR) }),
      store.recordCall("route:x:0", false, HOUR),
      store.readHealth([{ key: "route:x:0", windowMs: HOUR }]),
      store.trip("route:x:0", 1000),
    ];

    afterAll(() => wipe(namespace));

    it("an unreachable backend fails every operation fast with CounterStoreError", async () => {
      const store = createUpstashCounters(upstash(`http://127.0.0.1:${await freePort()}`), { namespace });
      const started = performance.now();
      const errors = await Promise.all(everyOperation(store).map(rejection));
      expect(performance.now() - started).toBeLessThan(1000);
      for (const error of errors) {
        expect(error).toBeInstanceOf(CounterStoreError);
        expect(error).toMatchObject({ reason: "backend" });
      }
    });

    it("a backend that goes away mid-run fails fast with CounterStoreError", async () => {
      const own = await startUpstashRest({ redisUrl: REDIS_URL, token: standIn.token });
      const store = createUpstashCounters(upstash(own.url), { namespace });
      expect((await store.hit("user:gone", { ...hour, kind: "fixed" })).allowed).toBe(true);
      await own.close();
      const started = performance.now();
      const error = await rejection(store.hit("user:gone", { ...hour, kind: "fixed" }));
      expect(performance.now() - started).toBeLessThan(1000);
      expect(error).toBeInstanceOf(CounterStoreError);
    });

    describe("a backend that accepts and never answers", () => {
      const hung = createHttpServer(() => {});
      let url: string;

      beforeAll(async () => {
        await new Promise<void>((resolve) => hung.listen(0, "127.0.0.1", resolve));
        const address = hung.address();
        if (address === null || typeof address !== "object") throw new Error("no port");
        url = `http://127.0.0.1:${address.port}`;
      });

      afterAll(async () => {
        hung.closeAllConnections();
        await new Promise((resolve) => hung.close(resolve));
      });

      it("hits the store's deadline: CounterStoreError 'timeout'", async () => {
        const store = createUpstashCounters(upstash(url), { namespace, timeoutMs: 200 });
        const started = performance.now();
        const errors = await Promise.all(everyOperation(store).map(rejection));
        const elapsed = performance.now() - started;
        expect(elapsed).toBeGreaterThanOrEqual(190);
        expect(elapsed).toBeLessThan(1000);
        for (const error of errors) expect(error).toMatchObject({ name: "CounterStoreError", reason: "timeout" });
      });

      it("with a per-request client signal, the fetch itself is aborted", async () => {
        const store = createUpstashCounters(upstash(url, { signal: () => AbortSignal.timeout(150) }), { namespace, timeoutMs: 0 });
        const started = performance.now();
        const error = await rejection(store.hit("user:x", { ...hour, kind: "fixed" }));
        expect(performance.now() - started).toBeLessThan(1000);
        expect(error).toBeInstanceOf(CounterStoreError);
        expect(error).toMatchObject({ reason: "backend", cause: { name: "TimeoutError" } });
      });
    });

    it("a Redis error surfaces as CounterStoreError, not as a verdict", async () => {
      const store = createUpstashCounters(redis, { namespace });
      const index = windowIndex(Date.now(), HOUR);
      await raw.hset(counterKey(namespace, "fixed", HOUR, "user:wrongtype", index), "not", "a counter");
      await raw.hset(counterKey(namespace, "sliding", HOUR, "user:wrongtype", index), "not", "a counter");
      for (const kind of ["fixed", "sliding"] as const) {
        const error = await rejection(store.hit("user:wrongtype", { ...hour, kind }));
        expect(error).toBeInstanceOf(CounterStoreError);
        expect(error).toMatchObject({ reason: "backend", message: expect.stringMatching(/WRONGTYPE/) });
      }
      await raw.set(`${namespace}:health:route:wrongtype:0`, "not a hash");
      for (const run of [() => store.recordCall("route:wrongtype:0", true, HOUR), () => store.readHealth([{ key: "route:wrongtype:0", windowMs: HOUR }])]) {
        expect(await rejection(run())).toMatchObject({ name: "CounterStoreError", reason: "backend", message: expect.stringMatching(/WRONGTYPE/) });
      }
    });
  });
});
