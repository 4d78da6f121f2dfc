// The self-service routes for BYOK keys, through a router like the gateway's, with real
// services on PGlite: setting, listing, replacing and removing the acting owner's keys.
import { describe, expect, it } from "vitest";
import { acme, alice } from "../../support/owners.ts";
import { call, invalidated, useUpstreamGateway } from "./upstream-routes-fixtures.ts";

useUpstreamGateway();

describe("BYOK key routes", () => {
  it("sets, lists, replaces and removes the acting owner's keys without echoing them", async () => {
    const put = await call("PUT", "/v1/byok-keys/openai", { as: "alice", body: { api_key: "sk-alice-openai-key-1234" } });
    expect(put.status).toBe(200);
    expect(put.text).not.toContain("sk-alice-openai");
    expect(put.body).toMatchObject({ object: "byok_key", provider: "openai", owner: alice, api_key_hint: "…1234" });
    expect(invalidated).toEqual([alice]);
    await call("PUT", "/v1/byok-keys/openai", { as: "alice", body: { api_key: "sk-alice-openai-key-5678" } });
    await call("PUT", "/v1/byok-keys/groq", { as: "alice", org: acme.id, body: { api_key: "gsk-acme-groq-key-0001" } });

    const list = await call("GET", "/v1/byok-keys", { as: "alice" });
    expect(list.body?.data).toEqual([expect.objectContaining({ provider: "openai", api_key_hint: "…5678", owner: alice })]);
    expect(list.text).not.toContain("sk-alice");
    const orgList = await call("GET", "/v1/byok-keys", { as: "alice", org: acme.id });
    expect(orgList.body?.data).toEqual([expect.objectContaining({ provider: "groq", owner: acme })]);

    expect((await call("PUT", "/v1/byok-keys/groq", { as: "bob", org: acme.id, body: { api_key: "x-bob-attempt-000000" } })).body?.error?.code).toBe("not_org_admin");
    expect((await call("PUT", "/v1/byok-keys/groq", { as: "acmeKey", body: { api_key: "x-key-attempt-000000" } })).body?.error?.code).toBe("not_org_admin");
    const unknown = await call("PUT", "/v1/byok-keys/mock", { as: "alice", body: { api_key: "sk-xxxxxxxxxxxxxxxx" } });
    expect(unknown.body?.error).toMatchObject({ code: "invalid_body", param: "provider" });
    expect((await call("PUT", "/v1/byok-keys/openai", { as: "alice", body: {} })).body?.error).toMatchObject({ code: "invalid_body", param: "api_key" });

    invalidated.length = 0;
    expect((await call("DELETE", "/v1/byok-keys/openai", { as: "alice" })).status).toBe(204);
    expect(invalidated).toEqual([alice]);
    expect((await call("DELETE", "/v1/byok-keys/openai", { as: "alice" })).body?.error?.code).toBe("byok_key_not_found");
    expect((await call("GET", "/v1/byok-keys", { as: "alice" })).body?.data).toEqual([]);
  });
});
