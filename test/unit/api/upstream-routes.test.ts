// The self-service routes for custom upstreams, through a router like the gateway's, with real
// services on PGlite and the mock LLM as the custom upstream: registering, organization roles,
// updates, testing and discovery, and what is refused without GATEWAY_ENCRYPTION_KEYS. The
// cases run in order and build on each other's upstreams.
import { describe, expect, it } from "vitest";
import { startMockLlm } from "../../support/mock-llm/index.ts";
import { acme, alice, globex } from "../../support/owners.ts";
import { body, call, expectNoSecrets, HEADER_SECRET, invalidated, mock, noSecrets, UPSTREAM_KEY, useUpstreamGateway } from "./upstream-routes-fixtures.ts";

useUpstreamGateway();

describe("custom upstream routes", () => {
  it("registers an upstream and answers without secrets", async () => {
    const res = await call("POST", "/v1/upstreams", { as: "alice", body: body() });
    expect(res.status).toBe(201);
    expectNoSecrets(res.text);
    expect(res.body).toMatchObject({
      object: "upstream",
      owner: alice,
      provider_id: "mock",
      display_name: "Mock LLM",
      base_url: mock.baseUrl,
      api_key_hint: "…0042",
      extra_headers: { "x-team": "…" },
      models: [{ id: "mock-model", name: "Mock", context_length: 4096, input_price: 0.25, output_price: 1.5 }],
      enabled: true,
    });
    expect(invalidated).toEqual([alice]);

    const again = await call("POST", "/v1/upstreams", { as: "alice", body: body() });
    expect(again.status).toBe(409);
    expect(again.body?.error).toMatchObject({ code: "upstream_exists", param: "provider_id" });

    const got = await call("GET", `/v1/upstreams/${res.body!.id}`, { as: "alice" });
    expect(got.body).toEqual(res.body);
    expectNoSecrets(got.text);
  });

  it("enforces organization roles: admins write, members read, others see nothing", async () => {
    const created = await call("POST", "/v1/upstreams", { as: "alice", body: body({ owner: { type: "org", id: acme.id }, provider_id: "acme-llm" }) });
    expect(created.status).toBe(201);
    expect(created.body?.owner).toEqual(acme);
    expect(invalidated).toEqual([acme]);
    const id = String(created.body!.id);

    const asMember = await call("POST", "/v1/upstreams", { as: "bob", body: body({ owner: { type: "org", id: acme.id }, provider_id: "bobs" }) });
    expect(asMember.body?.error?.code).toBe("not_org_admin");
    expect((await call("POST", "/v1/upstreams", { as: "alice", body: body({ owner: { type: "org", id: globex.id }, provider_id: "x" }) })).body?.error?.code).toBe("not_org_member");
    expect((await call("POST", "/v1/upstreams", { as: "acmeKey", body: body({ provider_id: "by-key" }) })).body?.error?.code).toBe("not_org_admin");
    // Acting for the organization via x-gateway-org makes it the default owner.
    const viaHeader = await call("POST", "/v1/upstreams", { as: "alice", org: acme.id, body: body({ provider_id: "via-header" }) });
    expect(viaHeader.body?.owner).toEqual(acme);

    expect((await call("GET", `/v1/upstreams/${id}`, { as: "bob" })).status).toBe(200);
    expect((await call("GET", `/v1/upstreams/${id}`, { as: "acmeKey" })).status).toBe(200);
    expect((await call("PATCH", `/v1/upstreams/${id}`, { as: "bob", body: { enabled: false } })).body?.error?.code).toBe("not_org_admin");
    expect((await call("DELETE", `/v1/upstreams/${id}`, { as: "bob" })).body?.error?.code).toBe("not_org_admin");
    expect((await call("DELETE", `/v1/upstreams/${id}`, { as: "acmeKey" })).body?.error?.code).toBe("not_org_admin");

    // alice's own upstream is invisible to bob and to the organization's key.
    const mine = (await call("GET", "/v1/upstreams", { as: "alice" })).body?.data ?? [];
    const alicesOwn = mine.find((u) => u.owner.type === "user")!;
    for (const who of ["bob", "acmeKey"]) {
      const res = await call("GET", `/v1/upstreams/${alicesOwn.id}`, { as: who });
      expect(res.status).toBe(404);
      expect(res.body?.error?.code).toBe("upstream_not_found");
      expect((await call("PATCH", `/v1/upstreams/${alicesOwn.id}`, { as: who, body: { enabled: false } })).status).toBe(404);
    }

    expect(mine.map((u) => [u.owner.type, u.provider_id])).toEqual([["user", "mock"], ["org", "acme-llm"], ["org", "via-header"]]);
    const bobs = (await call("GET", "/v1/upstreams", { as: "bob" })).body?.data ?? [];
    expect(bobs.map((u) => u.owner)).toEqual([acme, acme]);
    const keys = (await call("GET", "/v1/upstreams", { as: "acmeKey" })).body?.data ?? [];
    expect(keys.map((u) => u.owner)).toEqual([acme, acme]);
    const list = await call("GET", "/v1/upstreams", { as: "alice" });
    expectNoSecrets(list.text);
  });

  it("updates: secrets replaced and never echoed, headers removed, URL and provider_id checked", async () => {
    const created = await call("POST", "/v1/upstreams", { as: "alice", body: body({ provider_id: "patchme" }) });
    const path = `/v1/upstreams/${created.body!.id}`;
    invalidated.length = 0;
    const patched = await call("PATCH", path, { as: "alice", body: { api_key: "sk-new-key-abcdefgh9999", extra_headers: null, display_name: "Renamed", enabled: false } });
    expect(patched.status).toBe(200);
    expect(patched.text).not.toContain("sk-new-key");
    expect(patched.body).toMatchObject({ api_key_hint: "…9999", extra_headers: {}, display_name: "Renamed", enabled: false, provider_id: "patchme" });
    expect(invalidated).toEqual([alice]);

    expect((await call("PATCH", path, { as: "alice", body: { base_url: "https://192.168.0.1/v1" } })).body?.error?.code).toBe("unsafe_upstream_url");
    expect((await call("PATCH", path, { as: "alice", body: { provider_id: "mock" } })).status).toBe(409);
    expect((await call("PATCH", path, { as: "alice", body: { extra_headers: { Host: "x" } } })).body?.error).toMatchObject({ code: "invalid_body", param: "extra_headers.Host" });
    expect((await call("PATCH", "/v1/upstreams/ups_missing", { as: "alice", body: { enabled: true } })).status).toBe(404);

    expect((await call("DELETE", path, { as: "alice" })).status).toBe(204);
    expect((await call("DELETE", path, { as: "alice" })).body?.error?.code).toBe("upstream_not_found");
  });

  it("tests an upstream with its stored key and extra headers, and reports failures in the body", async () => {
    const mine = (await call("GET", "/v1/upstreams", { as: "alice" })).body?.data ?? [];
    const id = mine.find((u) => u.provider_id === "mock")!.id;
    mock.reset();
    const ok = await call("POST", `/v1/upstreams/${id}/test`, { as: "alice" });
    expect(ok.body).toEqual({ ok: true, status: 200, latency_ms: expect.any(Number) });
    expect(mock.requests).toHaveLength(1);
    expect(mock.requests[0]).toMatchObject({ method: "GET", path: "/v1/models", headers: { authorization: `Bearer ${UPSTREAM_KEY}`, "x-team": HEADER_SECRET } });

    const wrongKey = await call("POST", "/v1/upstreams", { as: "alice", body: body({ provider_id: "wrong-key", api_key: "sk-wrong-key-00000000" }) });
    const denied = await call("POST", `/v1/upstreams/${wrongKey.body!.id}/test`, { as: "alice" });
    expect(denied.status).toBe(200);
    expect(denied.body).toMatchObject({ ok: false, status: 401, error: "the upstream answered HTTP 401" });

    const closed = await startMockLlm();
    await closed.close();
    const down = await call("POST", "/v1/upstreams", { as: "alice", body: body({ provider_id: "down", base_url: closed.baseUrl }) });
    const unreachable = await call("POST", `/v1/upstreams/${down.body!.id}/test`, { as: "alice" });
    expect(unreachable.body).toMatchObject({ ok: false, status: null, error: expect.stringContaining("could not reach the upstream") });
    expectNoSecrets(unreachable.text);
  });

  it("discovers models, and stores them only when asked to", async () => {
    const created = await call("POST", "/v1/upstreams", { as: "alice", body: body({ owner: { type: "org", id: acme.id }, provider_id: "discover-me", models: [{ id: "mock-model", input_price: 3 }, { id: "gone" }] }) });
    const path = `/v1/upstreams/${created.body!.id}`;
    const preview = await call("POST", `${path}/discover`, { as: "bob" });
    expect(preview.body).toEqual({ ok: true, status: 200, latency_ms: expect.any(Number), models: [{ id: "mock-model", input_price: 3 }], saved: false });
    expect((await call("GET", path, { as: "bob" })).body?.models).toEqual([{ id: "mock-model", input_price: 3 }, { id: "gone" }]);

    expect((await call("POST", `${path}/discover`, { as: "bob", body: { save: true } })).body?.error?.code).toBe("not_org_admin");
    invalidated.length = 0;
    const saved = await call("POST", `${path}/discover`, { as: "alice", body: { save: true } });
    expect(saved.body).toMatchObject({ ok: true, saved: true, models: [{ id: "mock-model", input_price: 3 }] });
    expect(invalidated).toEqual([acme]);
    expect((await call("GET", path, { as: "bob" })).body?.models).toEqual([{ id: "mock-model", input_price: 3 }]);
  });
});

describe("without GATEWAY_ENCRYPTION_KEYS", () => {
  it("refuses to store or use secrets with 503 secrets_unavailable, but other changes work", async () => {
    const create = await noSecrets("POST", "/v1/upstreams", { as: "alice", body: body({ provider_id: "nokeys" }) });
    expect(create.status).toBe(503);
    expect(create.body?.error).toMatchObject({ code: "secrets_unavailable", message: expect.stringContaining("GATEWAY_ENCRYPTION_KEYS") });
    const existing = ((await noSecrets("GET", "/v1/upstreams", { as: "alice" })).body?.data ?? [])[0]!;
    expect((await noSecrets("PATCH", `/v1/upstreams/${existing.id}`, { as: "alice", body: { display_name: "still fine" } })).status).toBe(200);
    expect((await noSecrets("PATCH", `/v1/upstreams/${existing.id}`, { as: "alice", body: { api_key: "sk-xxxxxxxxxxxxxxxx" } })).status).toBe(503);
    expect((await noSecrets("POST", `/v1/upstreams/${existing.id}/test`, { as: "alice" })).body?.error?.code).toBe("secrets_unavailable");
    expect((await noSecrets("PUT", "/v1/byok-keys/openai", { as: "alice", body: { api_key: "sk-xxxxxxxxxxxxxxxx" } })).body?.error?.code).toBe("secrets_unavailable");
  });
});
