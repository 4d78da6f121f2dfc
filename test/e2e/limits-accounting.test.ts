// Accounting end to end: the gateway on Node and on workerd, with its ledger in the real
// PostgreSQL (through the Neon HTTP stand-in) and its counters in the real Redis (through the
// Upstash REST stand-in), calling the mock LLM. Ledger rows for streamed and abandoned requests,
// the usage report, and an accounting failure that must neither lose nor double a charge.
import type pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { jsonEvents, readEvents } from "../conformance/sse.ts";
import type { MockLlm } from "../support/mock-llm/index.ts";
import { startNode } from "../support/runtimes/node.ts";
import { startWorkerd } from "../support/runtimes/workerd.ts";
import { FREE, type Gateway, hi, type Launcher, limitsHarness, PAID, PRICE, ready, suiteTitle } from "./limits-fixtures.ts";

function limitsSuite(runtime: string, launch: Launcher, opts: { full: boolean }): void {
  describe.skipIf(!ready)(suiteTitle(runtime), () => {
    const { newUser, chat, ledgerRow, balance, start, stop } = limitsHarness(launch);
    let mock: MockLlm;
    let gw: Gateway;
    let db: pg.Pool;
    let apiKey = "";

    beforeAll(async () => {
      ({ mock, gw, db, apiKey } = await start());
    }, 120_000);
    afterAll(stop);
    beforeEach(() => mock.reset());

    it("records a streamed request's ledger row from its usage chunk", async () => {
      const payer = await newUser(1_000_000);
      const res = await chat({ model: PAID, messages: hi, stream: true, stream_options: { include_usage: true }, mock: { chunks: 5 } }, payer.key);
      expect(res.status).toBe(200);
      const chunks = jsonEvents(await readEvents(res));
      const usage = chunks.find((c) => Array.isArray(c.choices) && c.choices.length === 0)?.usage as { prompt_tokens: number; completion_tokens: number };
      expect(usage.completion_tokens).toBe(5);
      const row = await ledgerRow(res.headers.get("x-request-id")!);
      const cost = Math.ceil(usage.prompt_tokens * PRICE.input + usage.completion_tokens * PRICE.output);
      expect(row).toMatchObject({
        owner_user_id: payer.id,
        owner_org_id: null,
        api_key_id: payer.keyId,
        model: PAID,
        provider: "openai",
        upstream_model: "mock-model",
        byok: false,
        prompt_tokens: usage.prompt_tokens,
        completion_tokens: usage.completion_tokens,
        estimated: false,
        status: 200,
      });
      expect(Number(row.cost_microdollars)).toBe(cost);
      expect(row.ttfb_ms).not.toBeNull();
      expect(row.latency_ms).toBeGreaterThanOrEqual(row.ttfb_ms!);
      expect(await balance(payer.id)).toBe(1_000_000 - cost);
    });

    it("bills a client that disconnects mid-stream for what it received", async () => {
      const ac = new AbortController();
      const res = await chat({ model: PAID, messages: hi, stream: true, mock: { chunks: 60, delay_ms: 30 } }, apiKey, {}, ac.signal);
      const requestId = res.headers.get("x-request-id")!;
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let seen = "";
      while ((seen.match(/"content":"[^"]+"/g) ?? []).length < 5) seen += decoder.decode((await reader.read()).value, { stream: true });
      ac.abort();
      await reader.cancel().catch(() => {});
      const row = await ledgerRow(requestId);
      expect(row).toMatchObject({ status: 200, estimated: true, model: PAID });
      expect(row.completion_tokens).toBeGreaterThan(0);
      // 60 pieces were planned; it left after a handful.
      expect(row.completion_tokens).toBeLessThan(60);
      expect(row.prompt_tokens).toBeGreaterThan(0);
      expect(Number(row.cost_microdollars)).toBeGreaterThan(0);
      expect(await mock.requests[0]!.closed).toBe("aborted");
    });

    if (!opts.full) return;

    it("GET /v1/usage reports the caller's usage by model and by day", async () => {
      const user = await newUser(10_000_000);
      for (const model of [PAID, PAID, FREE]) {
        const res = await chat({ model, messages: hi }, user.key);
        await ledgerRow(res.headers.get("x-request-id")!);
      }
      const res = await fetch(`${gw.url}/v1/usage?days=7`, { headers: { authorization: `Bearer ${user.key}` } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as Record<string, any>;
      expect(body.owner).toEqual({ type: "user", id: user.id });
      expect(body.by_model).toEqual([
        { model: FREE, requests: 1, prompt_tokens: 3, completion_tokens: 3, cost_microdollars: 0 },
        { model: PAID, requests: 2, prompt_tokens: 6, completion_tokens: 6, cost_microdollars: 6 },
      ]);
      expect(body.by_day).toEqual([{ day: new Date().toISOString().slice(0, 10), requests: 3, prompt_tokens: 9, completion_tokens: 9, cost_microdollars: 6 }]);
      expect(body.total).toEqual({ requests: 3, prompt_tokens: 9, completion_tokens: 9, cost_microdollars: 6 });
      expect(body.balance_microdollars).toBe(10_000_000 - 6);
      expect((await fetch(`${gw.url}/v1/usage`)).status).toBe(401);
      expect((await fetch(`${gw.url}/v1/usage?days=0`, { headers: { authorization: `Bearer ${user.key}` } })).status).toBe(400);
    });

    it("an injected accounting failure neither delays the client nor loses or doubles the charge", async () => {
      const victim = await newUser(10_000_000);
      // The debit half of the ledger statement fails twice for this user (a trigger on users).
      await db.query("create sequence if not exists limits_inject_seq");
      await db.query("select setval('limits_inject_seq', 1, false)");
      await db.query(`create or replace function limits_inject_fail() returns trigger language plpgsql as $$
        begin
          if new.id = '${victim.id}' and nextval('limits_inject_seq') <= 2 then raise exception 'injected accounting failure'; end if;
          return new;
        end $$`);
      await db.query("drop trigger if exists limits_inject_fail on users");
      await db.query("create trigger limits_inject_fail before update on users for each row execute function limits_inject_fail()");
      try {
        const res = await chat({ model: PAID, messages: hi }, victim.key);
        expect(res.status).toBe(200);
        const row = await ledgerRow(res.headers.get("x-request-id")!);
        expect(await balance(victim.id)).toBe(10_000_000 - Number(row.cost_microdollars));
        expect(Number((await db.query("select nextval('limits_inject_seq') as n")).rows[0].n)).toBeGreaterThan(2);
        const rows = await db.query("select count(*)::int as n from usage_ledger where owner_user_id = $1", [victim.id]);
        expect(rows.rows[0].n).toBe(1);
      } finally {
        await db.query("drop trigger if exists limits_inject_fail on users");
      }
    });
  });
}

limitsSuite("node", startNode, { full: true });
limitsSuite("workerd", startWorkerd, { full: false });
