// Retries of one target (jittered backoff, retry-after up to a cap), the attempt budget, the
// request's deadline, context-window failover and what the client reads when nothing served.
import { describe, expect, it } from "vitest";
import { completion, errorJson, json, setUp, target } from "./forward-harness.ts";
import { UNLIMITED } from "../../../src/policy/rate-limit.ts";

const owner = async () => ({ owner: { type: "user" as const, id: "u1" }, rate: UNLIMITED });

/** Answers each call to a host from a list, in turn (the last one repeats). */
function sequence(...answers: (() => Response)[]): () => Response {
  let i = 0;
  return () => answers[Math.min(i++, answers.length - 1)]!();
}

const withHeaders = (res: Response, headers: Record<string, string>) => {
  for (const [k, v] of Object.entries(headers)) res.headers.set(k, v);
  return res;
};

describe("retries of one target", () => {
  it("waits a full-jitter backoff before each retry, growing and capped, and serves from the same target", async () => {
    const randoms = [0.5, 0.9, 0.25];
    const { run, calls, sleeps } = setUp(
      { "a.test": sequence(() => errorJson(503, "busy"), () => errorJson(503, "busy"), () => errorJson(500, "oops"), () => json(200, completion("a-model"))) },
      owner,
      { backoff: { baseMs: 100, maxMs: 300, retryAfterCapMs: 1000, random: () => randoms.shift() ?? 0 } },
    );
    const res = await run([target("a", { retry: { attempts: 4, onStatus: null } }), target("b")]);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-gateway-provider")).toBe("a");
    expect(res.headers.get("x-gateway-attempts")).toBe("4");
    expect(calls.map((c) => new URL(c.url).host)).toEqual(["a.test", "a.test", "a.test", "a.test"]);
    // Up to 100, 200, then 300 (capped from 400) ms, each scaled by a random draw.
    expect(sleeps).toEqual([50, 180, 75]);
  });

  it("differs from one request to the next (jitter), never above the cap", async () => {
    const waits = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const { run, sleeps } = setUp({ "a.test": sequence(() => errorJson(503, "busy"), () => json(200, completion("a-model"))) }, owner, {
        backoff: { baseMs: 1000, maxMs: 1000, retryAfterCapMs: 1000, random: Math.random },
      });
      expect((await run([target("a", { retry: { attempts: 2, onStatus: null } })])).status).toBe(200);
      expect(sleeps).toHaveLength(1);
      expect(sleeps[0]).toBeGreaterThanOrEqual(0);
      expect(sleeps[0]).toBeLessThan(1000);
      waits.add(sleeps[0]!);
    }
    expect(waits.size).toBeGreaterThan(10);
  });

  it("honours retry-after up to the cap, and moves on to the next candidate when it asks for longer", async () => {
    const short = setUp({ "a.test": sequence(() => withHeaders(errorJson(429, "slow"), { "retry-after": "2" }), () => json(200, completion("a-model"))) }, owner, {
      backoff: { baseMs: 10, maxMs: 40, retryAfterCapMs: 5000, random: () => 0.5 },
    });
    const served = await short.run([target("a", { retry: { attempts: 2, onStatus: null } }), target("b")]);
    expect(served.headers.get("x-gateway-provider")).toBe("a");
    expect(short.sleeps).toEqual([2000]);

    const long = setUp({ "a.test": () => withHeaders(errorJson(429, "slow"), { "retry-after": "60" }), "b.test": () => json(200, completion("b-model")) }, owner, {
      backoff: { baseMs: 10, maxMs: 40, retryAfterCapMs: 5000, random: () => 0.5 },
    });
    const moved = await long.run([target("a", { retry: { attempts: 3, onStatus: null } }), target("b")]);
    expect(moved.headers.get("x-gateway-provider")).toBe("b");
    expect(long.sleeps).toEqual([]);
    expect(long.calls.map((c) => new URL(c.url).host)).toEqual(["a.test", "b.test"]);
  });

  it("retries only the statuses the route names; an unreachable upstream always", async () => {
    const named = setUp({ "a.test": () => errorJson(500, "oops"), "b.test": () => json(200, completion("b-model")) });
    await named.run([target("a", { retry: { attempts: 3, onStatus: [503] } }), target("b")]);
    expect(named.calls.map((c) => new URL(c.url).host)).toEqual(["a.test", "b.test"]);
    const down = setUp({ "b.test": () => json(200, completion("b-model")) });
    await down.run([target("a", { retry: { attempts: 3, onStatus: [503] } }), target("b")]);
    expect(down.calls.map((c) => new URL(c.url).host)).toEqual(["a.test", "a.test", "a.test", "b.test"]);
  });

  it("never retries what would fail the same way again: a 402 on the operator's key, a context overflow", async () => {
    const overflow = () => errorJson(400, "maximum context length exceeded", "context_length_exceeded");
    for (const [first, charge] of [[() => errorJson(402, "quota"), { kind: "free" as const }], [overflow, { kind: "owner" as const }]] as const) {
      const { run, calls } = setUp({ "a.test": first, "b.test": () => json(200, completion("b-model")) });
      expect((await run([target("a", { charge, retry: { attempts: 3, onStatus: null } }), target("b")])).status).toBe(200);
      expect(calls.map((c) => new URL(c.url).host)).toEqual(["a.test", "b.test"]);
    }
  });
});

describe("limits of the whole request", () => {
  it("stops at the attempt budget, over every try of every candidate, naming each attempt", async () => {
    const { run, calls } = setUp({ "a.test": () => errorJson(503, "a busy"), "b.test": () => errorJson(502, "b broken") }, owner, { maxAttempts: 3 });
    const res = await run([target("a", { retry: { attempts: 2, onStatus: null } }), target("b", { retry: { attempts: 5, onStatus: null } })]);
    expect(calls).toHaveLength(3);
    expect(res.status).toBe(502);
    expect(res.headers.get("x-gateway-attempts")).toBe("3");
    const message = ((await res.json()) as { error: { message: string } }).error.message;
    expect(message).toContain("3 attempts: a/m: answered 503; a/m: answered 503; b/m: answered 502");
    expect(message).not.toMatch(/sk-[ab]-0000/);
  });

  it("does not wait past the request's deadline: the next candidate goes at once", async () => {
    const { run, calls, sleeps } = setUp({ "a.test": () => withHeaders(errorJson(503, "busy"), { "retry-after": "8" }), "b.test": () => json(200, completion("b-model")) }, owner, {
      totalTimeoutMs: 5000,
      backoff: { baseMs: 10, maxMs: 40, retryAfterCapMs: 60_000, random: () => 0.5 },
    });
    const res = await run([target("a", { retry: { attempts: 3, onStatus: null } }), target("b")]);
    expect(res.headers.get("x-gateway-provider")).toBe("b");
    expect(sleeps).toEqual([]);
    expect(calls).toHaveLength(2);
  });

  it("answers 504 when the deadline passed before any upstream was called", async () => {
    const { run, calls } = setUp({ "a.test": () => json(200, completion("a-model")) }, owner, { totalTimeoutMs: 0 });
    await expect(run([target("a")])).rejects.toMatchObject({ status: 504, code: "upstream_timeout" });
    expect(calls).toHaveLength(0);
  });
});

describe("a context window too small", () => {
  it("moves on only to a candidate with a larger window (or an unknown one), saying why the others were skipped", async () => {
    const overflow = () => errorJson(400, "This model's maximum context length is 8192 tokens", "context_length_exceeded");
    const { run, rc, calls } = setUp({ "a.test": overflow, "b.test": overflow, "c.test": () => json(200, completion("c-model")) });
    const res = await run([target("a", { contextLength: 8192 }), target("b", { contextLength: 8192 }), target("b", { contextLength: 4096, resolvedModel: "b/small" }), target("c", { contextLength: 128_000 })]);
    expect(res.headers.get("x-gateway-provider")).toBe("c");
    expect(calls.map((c) => new URL(c.url).host)).toEqual(["a.test", "c.test"]);
    expect(rc.proxy?.attempts.map((a) => [a.target?.resolvedModel, a.failure])).toEqual([
      ["a/m", "status"],
      ["b/m", "refused"],
      ["b/small", "refused"],
      ["c/m", null],
    ]);
    expect(rc.proxy?.attempts[1]?.reason).toContain('no larger than that of "a/m" (8192)');
  });

  it("relays the overflow when no larger candidate is left", async () => {
    const overflow = () => errorJson(400, "maximum context length is 8192 tokens", "context_length_exceeded");
    const { run } = setUp({ "a.test": overflow, "b.test": () => json(200, completion("b-model")) });
    const res = await run([target("a", { contextLength: 8192 }), target("b", { contextLength: 8000 })]);
    expect(res.status).toBe(400);
    const message = ((await res.json()) as { error: { message: string; code: string } }).error;
    expect(message.code).toBe("context_length_exceeded");
    expect(message.message).toContain("b/m: skipped");
  });
});
