// The hot path's storage cost, counted at the wire: the gateway talks to its database through
// the Neon stand-in (as on the edge), which records every statement it runs.
import { PGlite } from "@electric-sql/pglite";
import { SignJWT } from "jose";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migratePglite } from "../../adapters/node/storage.ts";
import { createGateway, createMemoryCounters, parseConfig, type Gateway } from "../../src/index.ts";
import { createNeonDb } from "../../src/store/neon.ts";
import { startMockLlm, type MockLlm } from "../support/mock-llm/index.ts";
import { pointNeonClientAt, startNeonHttp, type NeonStandIn } from "../support/neon/index.ts";

const ADMIN = "warm-path-admin-token-0123456789abcdef";
const JWT_SECRET = "warm-path-jwt-secret-0123456789abcdefgh";
const MODEL = "openai/mock-model";

let neon: NeonStandIn;
let mock: MockLlm;
let env: Record<string, string>;
let apiKey = "";
const userId = "user_warm";

// Background work (the key's last-used update) is collected so a test can let it land before
// it starts counting.
const background: Promise<unknown>[] = [];
const settle = () => Promise.allSettled(background.splice(0));

// Usage accounting writes one batched ledger statement in the background (waitUntil), after
// the response: it is not the hot path, so it is counted on its own.
const isLedgerWrite = (q: string) => /^\s*with ins as \(\s*insert into "usage_ledger"/i.test(q);
const hotPathQueries = () => neon.queries.filter((q) => !isLedgerWrite(q));

/** A gateway with cold caches, as a new isolate would have, on the shared database. */
const freshGateway = (): Gateway =>
  createGateway({
    config: parseConfig(env),
    db: createNeonDb(neon.connectionString),
    counters: createMemoryCounters(),
    fetch: globalThis.fetch,
    waitUntil: (p) => void background.push(p),
  });

const call = (gw: Gateway, path: string, init: RequestInit = {}) => gw.fetch(new Request(`http://gateway${path}`, init));

const chat = (gw: Gateway, token: string) =>
  call(gw, "/v1/chat/completions", {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "hi" }] }),
  });

beforeAll(async () => {
  const pglite = await PGlite.create();
  await migratePglite(pglite);
  neon = await startNeonHttp({ backend: { kind: "pglite", db: pglite } });
  pointNeonClientAt(neon);
  mock = await startMockLlm();
  env = { OPENAI_API_KEY: "sk-upstream", OPENAI_BASE_URL: mock.baseUrl, GATEWAY_ADMIN_TOKEN: ADMIN, GATEWAY_JWT_SECRET: JWT_SECRET };

  const setup = freshGateway();
  const admin = (path: string, body: unknown) =>
    call(setup, path, { method: "POST", headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  expect((await admin("/admin/users", { id: userId })).status).toBe(201);
  const key = await admin("/admin/api-keys", { owner: { type: "user", id: userId } });
  apiKey = ((await key.json()) as { key: string }).key;
  expect((await admin("/admin/models", { id: MODEL, provider: "openai", input_price: 0.1, output_price: 0.2 })).status).toBe(200);
  // A paid model needs credit.
  expect((await admin("/admin/credits", { owner: { type: "user", id: userId }, amount_microdollars: 1_000_000_000 })).status).toBe(200);
});

afterAll(async () => {
  await neon?.close();
  await mock?.close();
});

describe("warm path", () => {
  it("makes no database query once the key, the user and the catalog are cached", async () => {
    const gw = freshGateway();
    neon.resetQueries();
    expect((await chat(gw, apiKey)).status).toBe(200);
    // The cold request did look things up: this is what the cache saves.
    await settle();
    expect(neon.queries.length).toBeGreaterThan(0);

    neon.resetQueries();
    for (let i = 0; i < 5; i++) expect((await chat(gw, apiKey)).status).toBe(200);
    await settle();
    expect(hotPathQueries()).toEqual([]);
    // The five requests were accounted for, in the background, in at most five statements.
    const writes = neon.queries.filter(isLedgerWrite).length;
    expect(writes).toBeGreaterThanOrEqual(1);
    expect(writes).toBeLessThanOrEqual(5);
  });

  it("makes no database query for a warm JWT caller either", async () => {
    const gw = freshGateway();
    const jwt = await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject(userId).setExpirationTime("5m").sign(new TextEncoder().encode(JWT_SECRET));
    expect((await chat(gw, jwt)).status).toBe(200);
    await settle();
    neon.resetQueries();
    expect((await chat(gw, jwt)).status).toBe(200);
    expect(hotPathQueries()).toEqual([]);
  });

  it("serves the official SDK with no database query when warm", async () => {
    const gw = freshGateway();
    const sdk = new OpenAI({ apiKey, baseURL: "http://gateway/v1", fetch: (input, init) => gw.fetch(new Request(input, init)), maxRetries: 0 });
    await sdk.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "hi" }] });
    await settle();
    neon.resetQueries();
    const completion = await sdk.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "hi" }] });
    expect(completion.model).toBe(MODEL);
    expect(hotPathQueries()).toEqual([]);
  });

  it("caches unknown keys too, so a flood of bad keys costs one lookup", async () => {
    const gw = freshGateway();
    neon.resetQueries();
    const statuses = await Promise.all(Array.from({ length: 20 }, () => chat(gw, "egk_not-a-real-key-0000000000000000").then((r) => r.status)));
    expect(new Set(statuses)).toEqual(new Set([401]));
    expect(neon.queries.length).toBe(1);
  });

  it("does not stampede: 100 concurrent first requests for one key make a handful of queries", async () => {
    const gw = freshGateway();
    neon.resetQueries();
    const statuses = await Promise.all(Array.from({ length: 100 }, () => chat(gw, apiKey).then((r) => r.status)));
    expect(statuses.every((s) => s === 200)).toBe(true);
    await settle();
    // One key lookup, one user lookup, one catalog load, the operator's routes (aliases), the caller's
    // organizations, custom upstreams and BYOK keys for the provider, the owner's balance, one throttled
    // last-used update: each once, not once per request. The 100 usage rows go to the ledger in batched
    // statements, not one per request.
    expect(hotPathQueries().length).toBeLessThanOrEqual(9);
    expect(neon.queries.filter(isLedgerWrite).length).toBeLessThan(50);
  });
});
