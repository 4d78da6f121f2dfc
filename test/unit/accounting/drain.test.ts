// Shutting down must not lose the usage rows still waiting for their batch.
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { afterAll, beforeAll, expect, it } from "vitest";
import { migratePglite } from "../../../adapters/node/storage.ts";
import * as schema from "../../../src/store/schema/index.ts";
import { createGateway, createMemoryCounters, parseConfig } from "../../../src/index.ts";
import { startMockLlm, type MockLlm } from "../../support/mock-llm/index.ts";

const ADMIN = "drain-admin-token-0123456789abcdef012";
let mock: MockLlm;
let pglite: PGlite;

beforeAll(async () => {
  mock = await startMockLlm();
  pglite = await PGlite.create();
  await migratePglite(pglite);
});

afterAll(async () => {
  await mock?.close();
  await pglite?.close();
});

it("drain() writes the queued ledger rows before the process lets go", async () => {
  const config = parseConfig({ OPENAI_API_KEY: "sk-op", OPENAI_BASE_URL: mock.baseUrl, GATEWAY_ADMIN_TOKEN: ADMIN });
  // A platform without waitUntil: nothing keeps the batch alive but drain().
  const gw = createGateway({ config, db: drizzle({ client: pglite, schema }), counters: createMemoryCounters(), fetch: globalThis.fetch, waitUntil: () => {} });
  const call = (path: string, body: unknown, token = ADMIN) =>
    gw.fetch(new Request(`http://gw${path}`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) }));
  expect((await call("/admin/users", { id: "d" })).status).toBe(201);
  expect((await call("/admin/credits", { owner: { type: "user", id: "d" }, amount_microdollars: 1_000_000 })).status).toBe(200);
  expect((await call("/admin/models", { id: "openai/mock-model", provider: "openai", input_price: 1, output_price: 1 })).status).toBe(200);
  const { key } = (await (await call("/admin/api-keys", { owner: { type: "user", id: "d" } })).json()) as { key: string };

  const res = await call("/v1/chat/completions", { model: "openai/mock-model", messages: [{ role: "user", content: "hi" }] }, key);
  expect(res.status).toBe(200);
  const requestId = res.headers.get("x-request-id");
  // The row waits up to 50 ms for company; drain() right away writes it, with its debit.
  await gw.drain();
  const rows = await pglite.query<{ request_id: string; cost_microdollars: string }>("select request_id, cost_microdollars from usage_ledger");
  expect(rows.rows.map((r) => r.request_id)).toEqual([requestId]);
  const balance = await pglite.query<{ c: string }>("select credit_microdollars::text as c from users where id = 'd'");
  expect(Number(balance.rows[0]?.c)).toBe(1_000_000 - Number(rows.rows[0]?.cost_microdollars));
  expect(Number(rows.rows[0]?.cost_microdollars)).toBeGreaterThan(0);
});
