// Rate limits end to end: the gateway on Node and on workerd, with its counters in the real
// Redis (through the Upstash REST stand-in) and its ledger in the real PostgreSQL (through the
// Neon HTTP stand-in), calling the mock LLM, which counts requests. Anonymous per-IP limits
// under a concurrent burst, a key's TPM and RPM, and what happens when the counter store is down.
// Credit and policy: limits-policy.test.ts; accounting: limits-accounting.test.ts.
import type pg from "pg";
import { Agent, request as undiciRequest } from "undici";
import { Redis as IORedis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { MockLlm } from "../support/mock-llm/index.ts";
import { startNode } from "../support/runtimes/node.ts";
import { withEdgeStandIns } from "../support/runtimes/edge-storage.ts";
import { startWorkerd } from "../support/runtimes/workerd.ts";
import { REDIS_URL } from "../support/services.ts";
import {
  ADMIN,
  awayFromWindowEdge,
  eventually,
  FREE,
  type Gateway,
  hi,
  HOUR_S,
  type Launcher,
  limitsHarness,
  PAID,
  ready,
  suiteTitle,
  UPSTREAM_KEY,
} from "./limits-fixtures.ts";

function limitsSuite(runtime: string, launch: Launcher, opts: { full: boolean }): void {
  describe.skipIf(!ready)(suiteTitle(runtime), () => {
    const { userId, newKey, chat, ledgerRow, errorOf, discard, start, stop } = limitsHarness(launch);
    let mock: MockLlm;
    let gw: Gateway;
    let db: pg.Pool;
    let apiKey = "";

    beforeAll(async () => {
      ({ mock, gw, db, apiKey } = await start());
    }, 120_000);
    afterAll(stop);
    beforeEach(() => mock.reset());

    it("300 concurrent anonymous requests against a free model with a limit of 200 admit exactly 200", async () => {
      await awayFromWindowEdge(HOUR_S);
      const responses = await Promise.all(Array.from({ length: 300 }, () => chat({ model: FREE, messages: hi }, null)));
      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(200);
      expect(statuses.filter((s) => s === 429)).toHaveLength(100);
      // Refused before the upstream: it saw exactly the admitted ones.
      expect(mock.requests).toHaveLength(200);
      const refused = responses.find((r) => r.status === 429)!;
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(refused.headers.get("x-ratelimit-limit-requests")).toBe("200");
      expect(refused.headers.get("x-ratelimit-remaining-requests")).toBe("0");
      expect(refused.headers.get("x-ratelimit-reset-requests")).toMatch(/^(\d+m)?\d+s$/);
      expect(await errorOf(refused)).toMatchObject({ code: "rate_limited" });
      const admitted = responses.find((r) => r.status === 200)!;
      expect(admitted.headers.get("x-ratelimit-limit-requests")).toBe("200");
      await Promise.all(responses.map(discard));
    });

    it("TPM: concurrent requests whose estimates exceed the limit are refused before any reaches the upstream", async () => {
      const { key, id } = await newKey({ type: "user", id: userId });
      await db.query("update api_keys set tpm_limit = 1000 where id = $1", [id]);
      // Each reserves its prompt (3) + max_tokens (300) = 303: three fit in 1000, a fourth does not.
      const responses = await Promise.all(Array.from({ length: 10 }, () => chat({ model: PAID, messages: hi, max_tokens: 300 }, key)));
      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(3);
      expect(mock.requests).toHaveLength(3);
      const refused = responses.find((r) => r.status === 429)!;
      expect(refused.headers.get("x-ratelimit-limit-tokens")).toBe("1000");
      expect((await errorOf(refused)).message).toContain("up to 303 tokens");
      await Promise.all(responses.map(discard));
      // After the calls, their reservations are settled to the real usage (6 tokens each), so
      // the budget has room again within the same minute.
      const again = await eventually(async () => {
        const res = await chat({ model: PAID, messages: hi, max_tokens: 300 }, key);
        await discard(res);
        return res.status === 200 ? res : undefined;
      });
      expect(Number(again.headers.get("x-ratelimit-remaining-tokens"))).toBeGreaterThan(0);
    });

    if (!opts.full) return;

    it("takes the client IP from the socket and keeps raw addresses out of Redis", async () => {
      // 127.0.0.1 used its 200 above; 127.0.0.2 is another client with its own budget.
      const from = (localAddress: string) =>
        undiciRequest(`${gw.url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: FREE, messages: hi }),
          dispatcher: new Agent({ localAddress }),
        });
      const other = await from("127.0.0.2");
      await other.body.dump();
      expect(other.statusCode).toBe(200);
      expect(other.headers["x-ratelimit-remaining-requests"]).toBe("199");
      const same = await from("127.0.0.1");
      await same.body.dump();
      expect(same.statusCode).toBe(429);
      const redis = new IORedis(REDIS_URL);
      try {
        const keys = await redis.keys("eg:rl:*anon*");
        expect(keys.length).toBeGreaterThan(0);
        expect(keys.join(" ")).not.toMatch(/127\.0\.0\.|::1/);
      } finally {
        redis.disconnect();
      }
    });

    it("applies a key's RPM with x-ratelimit headers on every answer", async () => {
      const { key, id } = await newKey({ type: "user", id: userId });
      await db.query("update api_keys set rpm_limit = 2 where id = $1", [id]);
      const first = await chat({ model: PAID, messages: hi }, key);
      expect(first.status).toBe(200);
      expect(first.headers.get("x-ratelimit-limit-requests")).toBe("2");
      expect(first.headers.get("x-ratelimit-remaining-requests")).toBe("1");
      expect((await chat({ model: PAID, messages: hi }, key)).status).toBe(200);
      const third = await chat({ model: PAID, messages: hi }, key);
      expect(third.status).toBe(429);
      expect(await errorOf(third)).toMatchObject({ code: "rate_limited" });
      expect(third.headers.get("retry-after")).toMatch(/^\d+$/);
    });

    it("when the counter store is down: anonymous callers get 503, signed-in ones are served", async () => {
      const down = await withEdgeStandIns(launch)({
        OPENAI_API_KEY: UPSTREAM_KEY,
        OPENAI_BASE_URL: mock.baseUrl,
        GATEWAY_ADMIN_TOKEN: ADMIN,
        GATEWAY_DEFAULT_RPM: "100",
        // Nothing listens on port 1.
        UPSTASH_REDIS_REST_URL: "http://127.0.0.1:1",
      });
      try {
        const post = (auth: string | null) =>
          fetch(`${down.url}/v1/chat/completions`, {
            method: "POST",
            headers: { "content-type": "application/json", ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
            body: JSON.stringify({ model: FREE, messages: hi }),
          });
        const anon = await post(null);
        expect(anon.status).toBe(503);
        expect(anon.headers.get("retry-after")).toBe("5");
        expect(await errorOf(anon)).toMatchObject({ code: "rate_limiter_unavailable" });
        const signedIn = await post(apiKey);
        expect(signedIn.status).toBe(200);
        // Accounted as usual (before this gateway and its stand-ins go away).
        await ledgerRow(signedIn.headers.get("x-request-id")!);
      } finally {
        await down.close();
      }
    });
  });
}

limitsSuite("node", startNode, { full: true });
limitsSuite("workerd", startWorkerd, { full: false });
