// Issue 4 as a new user meets it, through the HTTP API only: register upstreams and BYOK keys,
// see them in the catalog, chat through them with the official SDK — and never see a secret
// again, in a response, a log line or a database row.
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { migratePglite } from "../../adapters/node/storage.ts";
import * as schema from "../../src/store/schema/index.ts";
import { createGateway, createMemoryCounters, parseConfig, type Gateway } from "../../src/index.ts";
import type { Logger } from "../../src/domain/runtime.ts";
import { startMockLlm, type MockLlm } from "../support/mock-llm/index.ts";

const ADMIN = "byok-admin-token-0123456789abcdef0123";
const OPERATOR_KEY = "sk-operator-key-0000";
const RING = `k1:${Buffer.alloc(32, 7).toString("base64")}`;
const SECRETS = {
  aliceUpstream: "sk-alice-upstream-secret-AAAA1111",
  aliceHeader: "tenant-secret-value-BBBB2222",
  orgUpstream: "sk-acme-upstream-secret-CCCC3333",
  aliceOpenai: "sk-alice-openai-byok-DDDD4444",
};

let mock: MockLlm;
let pglite: PGlite;
let gw: Gateway;
const logs: string[] = [];
const bodies: string[] = [];
const keys: Record<string, string> = {};

const logger: Logger = {
  info: (msg, fields) => void logs.push(JSON.stringify({ msg, ...fields })),
  warn: (msg, fields) => void logs.push(JSON.stringify({ msg, ...fields })),
  error: (msg, fields) => void logs.push(JSON.stringify({ msg, ...fields })),
};

/** Every response body is kept, to prove afterwards that none carried a secret. */
async function call(path: string, init: RequestInit & { as?: string } = {}): Promise<{ status: number; body: unknown }> {
  const headers = new Headers(init.headers);
  const token = init.as === "admin" ? ADMIN : init.as ? keys[init.as] : undefined;
  if (token) headers.set("authorization", `Bearer ${token}`);
  if (init.body) headers.set("content-type", "application/json");
  const res = await gw.fetch(new Request(`http://gateway${path}`, { ...init, headers }));
  const text = await res.text();
  bodies.push(text);
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
const post = (path: string, as: string, body: unknown, method = "POST") => call(path, { method, as, body: JSON.stringify(body) });

function sdk(as: string, headers: Record<string, string> = {}): OpenAI {
  return new OpenAI({
    apiKey: keys[as] ?? "",
    baseURL: "http://gateway/v1",
    defaultHeaders: headers,
    maxRetries: 0,
    fetch: async (input, init) => {
      const res = await gw.fetch(new Request(input, init));
      return res;
    },
  });
}

const lastUpstreamCall = () => {
  const req = mock.requests.filter((r) => r.path.endsWith("/chat/completions")).at(-1);
  if (!req) throw new Error("the upstream got no chat request");
  return req;
};

let orgUpstreamId = "";

beforeAll(async () => {
  mock = await startMockLlm();
  pglite = await PGlite.create();
  await migratePglite(pglite);
  const config = parseConfig({
    OPENAI_API_KEY: OPERATOR_KEY,
    OPENAI_BASE_URL: mock.baseUrl,
    GATEWAY_ADMIN_TOKEN: ADMIN,
    GATEWAY_ENCRYPTION_KEYS: RING,
    GATEWAY_TRUSTED_UPSTREAM_HOSTS: "127.0.0.1",
  });
  gw = createGateway({ config, db: drizzle({ client: pglite, schema }), counters: createMemoryCounters(), fetch: globalThis.fetch, logger });

  for (const id of ["alice", "bob", "carol"]) {
    expect((await post("/admin/users", "admin", { id })).status).toBe(201);
    const key = await post("/admin/api-keys", "admin", { owner: { type: "user", id } });
    keys[id] = (key.body as { key: string }).key;
    // openai/mock-model is a paid catalog model: the operator-key calls below need credit.
    expect((await post("/admin/credits", "admin", { owner: { type: "user", id }, amount_microdollars: 10_000_000 })).status).toBe(200);
  }
  expect((await post("/admin/orgs", "admin", { id: "acme", name: "Acme" })).status).toBe(201);
  expect((await post("/admin/orgs/acme/members/alice", "admin", { role: "admin" }, "PUT")).status).toBe(200);
  expect((await post("/admin/orgs/acme/members/bob", "admin", { role: "member" }, "PUT")).status).toBe(200);
  expect((await post("/admin/models", "admin", { id: "openai/mock-model", provider: "openai", input_price: 1, output_price: 2 })).status).toBe(200);
});

afterAll(async () => {
  await mock?.close();
  await pglite?.close();
});

beforeEach(() => mock.reset());

describe("a user's own upstream", () => {
  it("registers it, shows only a hint, and lists its models", async () => {
    const created = await post("/v1/upstreams", "alice", {
      provider_id: "mine",
      display_name: "My endpoint",
      base_url: mock.baseUrl,
      api_key: SECRETS.aliceUpstream,
      extra_headers: { "x-tenant": SECRETS.aliceHeader },
      models: [{ id: "mock-model", input_price: 0.5, output_price: 1 }],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ provider_id: "mine", api_key_hint: `…${SECRETS.aliceUpstream.slice(-4)}` });

    const models = await call("/v1/models", { as: "alice" });
    const ids = (models.body as { data: { id: string }[] }).data.map((m) => m.id);
    expect(ids).toContain("mine/mock-model");
    expect(ids).toContain("openai/mock-model");
    // Another user does not see it.
    const carols = await call("/v1/models", { as: "carol" });
    expect((carols.body as { data: { id: string }[] }).data.map((m) => m.id)).not.toContain("mine/mock-model");
  });

  it("chats through it with the SDK, non-streaming and streaming, with its key, headers and model id", async () => {
    const completion = await sdk("alice").chat.completions.create({ model: "mine/mock-model", messages: [{ role: "user", content: "hi" }] });
    expect(completion.model).toBe("mine/mock-model");
    let seen = lastUpstreamCall();
    expect(seen.headers.authorization).toBe(`Bearer ${SECRETS.aliceUpstream}`);
    expect(seen.headers["x-tenant"]).toBe(SECRETS.aliceHeader);
    expect(seen.body).toMatchObject({ model: "mock-model" });

    const stream = await sdk("alice").chat.completions.create({ model: "mine/mock-model", messages: [{ role: "user", content: "hi" }], stream: true });
    const chunks: string[] = [];
    for await (const chunk of stream) {
      expect(chunk.model).toBe("mine/mock-model");
      chunks.push(chunk.choices[0]?.delta.content ?? "");
    }
    expect(chunks.join("")).not.toBe("");
    seen = lastUpstreamCall();
    expect(seen.headers.authorization).toBe(`Bearer ${SECRETS.aliceUpstream}`);
    expect(seen.body).toMatchObject({ model: "mock-model", stream: true });
  });

  it("is not reachable by another user", async () => {
    const err = await sdk("carol")
      .chat.completions.create({ model: "mine/mock-model", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err).toMatchObject({ status: 404, code: "model_not_found" });
  });
});

describe("an organization's upstream", () => {
  it("is registered by an org admin and refused to a plain member", async () => {
    const byMember = await post("/v1/upstreams", "bob", {
      owner: { type: "org", id: "acme" },
      provider_id: "team",
      display_name: "Team",
      base_url: mock.baseUrl,
      api_key: "sk-should-not-be-saved-0000",
    });
    expect(byMember.status).toBe(403);
    expect(byMember.body).toMatchObject({ error: { code: "not_org_admin" } });

    const created = await post("/v1/upstreams", "alice", {
      owner: { type: "org", id: "acme" },
      provider_id: "team",
      display_name: "Team",
      base_url: mock.baseUrl,
      api_key: SECRETS.orgUpstream,
      models: [{ id: "mock-model" }],
    });
    expect(created.status).toBe(201);
    orgUpstreamId = (created.body as { id: string }).id;
  });

  it("serves a member, with the organization's key, and is listed for them", async () => {
    const completion = await sdk("bob").chat.completions.create({ model: "team/mock-model", messages: [{ role: "user", content: "hi" }] });
    expect(completion.model).toBe("team/mock-model");
    expect(lastUpstreamCall().headers.authorization).toBe(`Bearer ${SECRETS.orgUpstream}`);
    const models = await call("/v1/models", { as: "bob" });
    expect((models.body as { data: { id: string }[] }).data.map((m) => m.id)).toContain("team/mock-model");
  });

  it("is invisible to a non-member", async () => {
    const chat = await sdk("carol")
      .chat.completions.create({ model: "team/mock-model", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(chat).toMatchObject({ status: 404 });
    expect((await call(`/v1/upstreams/${orgUpstreamId}`, { as: "carol" })).status).toBe(404);
    const asOrg = await sdk("carol", { "x-gateway-org": "acme" })
      .chat.completions.create({ model: "team/mock-model", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(asOrg).toMatchObject({ status: 403, code: "not_org_member" });
  });
});

describe("BYOK keys for built-in providers", () => {
  it("uses the caller's own key when saved, marks the route, and the operator's again once deleted", async () => {
    await sdk("alice").chat.completions.create({ model: "openai/mock-model", messages: [{ role: "user", content: "hi" }] });
    expect(lastUpstreamCall().headers.authorization).toBe(`Bearer ${OPERATOR_KEY}`);

    const saved = await post("/v1/byok-keys/openai", "alice", { api_key: SECRETS.aliceOpenai }, "PUT");
    expect(saved.status).toBe(200);
    expect(JSON.stringify(saved.body)).not.toContain(SECRETS.aliceOpenai);
    const withByok = await sdk("alice").chat.completions.create({ model: "openai/mock-model", messages: [{ role: "user", content: "hi" }] }).withResponse();
    expect(withByok.response.headers.get("x-gateway-provider")).toBe("openai");
    expect(lastUpstreamCall().headers.authorization).toBe(`Bearer ${SECRETS.aliceOpenai}`);
    // Bob's requests still use the operator's key.
    await sdk("bob").chat.completions.create({ model: "openai/mock-model", messages: [{ role: "user", content: "hi" }] });
    expect(lastUpstreamCall().headers.authorization).toBe(`Bearer ${OPERATOR_KEY}`);

    expect((await call("/v1/byok-keys/openai", { method: "DELETE", as: "alice" })).status).toBe(204);
    await sdk("alice").chat.completions.create({ model: "openai/mock-model", messages: [{ role: "user", content: "hi" }] });
    expect(lastUpstreamCall().headers.authorization).toBe(`Bearer ${OPERATOR_KEY}`);
  });

  it("refuses an unsafe base URL with the reason", async () => {
    const res = await post("/v1/upstreams", "alice", { provider_id: "meta", display_name: "x", base_url: "http://169.254.169.254/v1", api_key: "sk-x-0000000000" });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: "unsafe_upstream_url" } });
  });
});

describe("secrets at rest and in the open", () => {
  it("stores no plaintext key in any row", async () => {
    await post("/v1/byok-keys/groq", "alice", { api_key: SECRETS.aliceOpenai }, "PUT");
    const dump = JSON.stringify([
      (await pglite.query("select * from custom_upstreams")).rows,
      (await pglite.query("select * from byok_keys")).rows,
    ]);
    expect(dump).toContain("v1.k1.");
    for (const secret of Object.values(SECRETS)) expect(dump).not.toContain(secret);
  });

  it("never put a secret in a response body or a log line", () => {
    expect(bodies.length).toBeGreaterThan(10);
    for (const secret of Object.values(SECRETS)) {
      for (const text of [...bodies, ...logs]) expect(text).not.toContain(secret);
    }
  });

  it("removes every secret of a deleted user and organization", async () => {
    expect((await call("/admin/orgs/acme", { method: "DELETE", as: "admin" })).status).toBe(204);
    expect((await call("/admin/users/alice", { method: "DELETE", as: "admin" })).status).toBe(204);
    const left = await pglite.query<{ n: number }>(
      "select (select count(*) from custom_upstreams where owner_user_id = 'alice' or owner_org_id = 'acme')::int + (select count(*) from byok_keys where owner_user_id = 'alice' or owner_org_id = 'acme')::int as n",
    );
    expect(left.rows[0]?.n).toBe(0);
    const chat = await sdk("bob").chat.completions.create({ model: "team/mock-model", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(chat).toMatchObject({ status: 404 });
  });
});
