// The Upstash REST stand-in, exercised only through the unmodified official clients: if these
// pass, @upstash/redis and @upstash/ratelimit behave against local Redis as against Upstash.
import { createHash, randomUUID } from "node:crypto";
import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REDIS_URL, serviceAvailable } from "../support/services.ts";
import { startUpstashRest, type UpstashStandIn } from "../support/upstash-rest/index.ts";

const ok = await serviceAvailable("redis");
// The Redis is shared with other suites and runs: every key lives under this prefix.
const prefix = `edgegate:test:upstash-rest:${randomUUID()}:`;
const key = (name: string) => `${prefix}${name}`;

// Ratelimit's scripts carry an Upstash-only shebang flag, which the stand-in must strip.
const FLAGGED_SCRIPT = `#!lua flags=allow-key-locking
return {redis.call("INCRBY", KEYS[1], ARGV[1]), "done"}`;

describe.skipIf(!ok)("Upstash REST stand-in", () => {
  let standIn: UpstashStandIn;
  let redis: Redis;
  const client = (extra: { token?: string; responseEncoding?: false } = {}) =>
    new Redis({ url: standIn.url, token: extra.token ?? standIn.token, retry: false, enableTelemetry: false, ...extra });

  beforeAll(async () => {
    standIn = await startUpstashRest({ redisUrl: REDIS_URL });
    redis = client();
  });

  afterAll(async () => {
    if (!standIn) return;
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await standIn.close();
  });

  describe("commands", () => {
    it("sets with an expiry and reads back, keeping non-ASCII bytes intact", async () => {
      expect(await redis.set(key("greeting"), "héllo wörld ✓", { ex: 60 })).toBe("OK");
      expect(await redis.get(key("greeting"))).toBe("héllo wörld ✓");
      const ttl = await redis.ttl(key("greeting"));
      expect(ttl).toBeGreaterThan(50);
      expect(ttl).toBeLessThanOrEqual(60);
      expect(await redis.get(key("missing"))).toBeNull();
      // Text that is itself valid base64 only survives if the stand-in really encodes.
      await redis.set(key("b64ish"), "abcd");
      expect(await redis.get(key("b64ish"))).toBe("abcd");
    });

    it("increments and surfaces Redis errors as client errors", async () => {
      expect(await redis.incr(key("counter"))).toBe(1);
      expect(await redis.incrby(key("counter"), 41)).toBe(42);
      await redis.set(key("text"), "not a number");
      await expect(redis.incr(key("text"))).rejects.toThrow(/ERR value is not an integer/);
    });

    it("keeps RESP2 shapes for hashes and sorted sets", async () => {
      await redis.hset(key("hash"), { name: "ada", visits: 3 });
      expect(await redis.hgetall(key("hash"))).toEqual({ name: "ada", visits: 3 });
      await redis.zadd(key("zset"), { score: 2.5, member: "b" }, { score: 1, member: "a" });
      expect(await redis.zrange(key("zset"), 0, -1, { withScores: true })).toEqual(["a", 1, "b", 2.5]);
    });

    it("round-trips JSON values and reads several keys at once", async () => {
      const value = { model: "gpt-4o", tags: ["a", "b"], nested: { n: 1, ok: true } };
      await redis.set(key("json"), value);
      expect(await redis.get(key("json"))).toEqual(value);
      expect(await redis.mget(key("json"), key("absent"), key("greeting"))).toEqual([value, null, "héllo wörld ✓"]);
    });

    it("works without base64 response encoding", async () => {
      const plain = client({ responseEncoding: false });
      await plain.set(key("plain"), "ünïcode");
      expect(await plain.get(key("plain"))).toBe("ünïcode");
      expect(await redis.get(key("plain"))).toBe("ünïcode");
    });

    it("rejects a wrong token with a JSON error body", async () => {
      const before = standIn.commands;
      // A non-JSON body would surface as UpstashJSONParseError ("Unable to parse ...").
      await expect(client({ token: "wrong" }).get(key("greeting"))).rejects.toThrow(/^Unauthorized/);
      expect(standIn.commands).toBe(before);
    });
  });

  describe("pipelines and transactions", () => {
    it("sends concurrent commands as one auto-pipeline", async () => {
      const pipelines = () => Reflect.get(redis, "pipelineCounter");
      const [before, commandsBefore] = [pipelines(), standIn.commands];
      const results = await Promise.all(Array.from({ length: 20 }, () => redis.incr(key("auto"))));
      expect([...results].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(pipelines()).toBe(Number(before) + 1);
      expect(standIn.commands - commandsBefore).toBe(20);
    });

    it("runs an explicit pipeline and reports per-command errors", async () => {
      const results = await redis
        .pipeline()
        .set(key("p"), "x")
        .incr(key("p"))
        .get(key("p"))
        .exec({ keepErrors: true });
      expect(results.map((r) => r.result)).toEqual(["OK", undefined, "x"]);
      expect(results[1]?.error).toMatch(/ERR value is not an integer/);
      await expect(redis.pipeline().incr(key("p")).exec()).rejects.toThrow(/Command 1 \[ incr \] failed/);
    });

    it("runs multi/exec atomically with per-command runtime errors", async () => {
      const results = await redis.multi().set(key("m"), 10).incrby(key("m"), 5).get(key("m")).exec();
      expect(results).toEqual(["OK", 15, 15]);
      const concurrent = await Promise.all(
        Array.from({ length: 10 }, () => redis.multi().incr(key("m:n")).get<number>(key("m:n")).exec()),
      );
      // Each transaction reads its own increment: nothing interleaved between INCR and GET.
      for (const [incremented, read] of concurrent) expect(read).toBe(incremented);
      const withError = await redis.multi().set(key("m:s"), "x").incr(key("m:s")).exec({ keepErrors: true });
      expect(withError[1]?.error).toMatch(/ERR value is not an integer/);
    });
  });

  describe("scripts", () => {
    const originalSha = createHash("sha1").update(FLAGGED_SCRIPT).digest("hex");

    it("runs EVAL with the Upstash-only shebang flag", async () => {
      expect(await redis.eval(FLAGGED_SCRIPT, [key("eval")], ["2"])).toEqual([2, "done"]);
    });

    it("passes NOSCRIPT through and maps SCRIPT LOAD / EVALSHA / SCRIPT EXISTS to the original sha", async () => {
      const unknown = "0".repeat(40);
      await expect(redis.evalsha(unknown, [], [])).rejects.toThrow(/NOSCRIPT/);
      expect(await redis.scriptExists(unknown)).toEqual([0]);
      expect(await redis.scriptLoad(FLAGGED_SCRIPT)).toBe(originalSha);
      expect(await redis.scriptExists(originalSha)).toEqual([1]);
      expect(await redis.evalsha(originalSha, [key("evalsha")], ["3"])).toEqual([3, "done"]);
    });

    it("lets a client Script fall back from EVALSHA to EVAL", async () => {
      const script = redis.createScript<[number, string]>(`${FLAGGED_SCRIPT}\n-- variant`);
      expect(await script.exec([key("script")], ["4"])).toEqual([4, "done"]);
      expect(await script.exec([key("script")], ["1"])).toEqual([5, "done"]);
    });
  });

  describe("@upstash/ratelimit", () => {
    const LIMIT = 10;
    const CALLS = 25;
    // Windows of an hour keep a burst from straddling a window boundary.
    const limiters = {
      slidingWindow: Ratelimit.slidingWindow(LIMIT, "1 h"),
      fixedWindow: Ratelimit.fixedWindow(LIMIT, "1 h"),
      tokenBucket: Ratelimit.tokenBucket(1, "1 h", LIMIT),
    };

    for (const [name, limiter] of Object.entries(limiters)) {
      it(`${name}: ${CALLS} concurrent calls over a limit of ${LIMIT} admit exactly ${LIMIT}`, async () => {
        const ratelimit = new Ratelimit({ redis, limiter, prefix: key(`rl:${name}`), ephemeralCache: false, analytics: false });
        const burst = async (identifier: string) => {
          const results = await Promise.all(Array.from({ length: CALLS }, () => ratelimit.limit(identifier)));
          await Promise.all(results.map((r) => r.pending));
          expect(results.filter((r) => r.reason === "timeout")).toEqual([]);
          return results;
        };

        const first = await burst("user-1");
        expect(first.filter((r) => r.success)).toHaveLength(LIMIT);
        expect(first.every((r) => r.limit === LIMIT)).toBe(true);
        expect(await ratelimit.getRemaining("user-1")).toMatchObject({ remaining: 0 });

        // The first burst loaded the script through the NOSCRIPT -> EVAL fallback; now EVALSHA
        // with ratelimit's hard-coded sha must hit directly: one command per call.
        const before = standIn.commands;
        const second = await burst("user-2");
        expect(second.filter((r) => r.success)).toHaveLength(LIMIT);
        expect(standIn.commands - before).toBe(CALLS);
      });
    }
  });
});
