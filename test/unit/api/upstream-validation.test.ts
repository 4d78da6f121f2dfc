// What the custom upstream routes refuse, through a router like the gateway's with real
// services on PGlite: invalid bodies and unsafe base URLs (each naming the field at fault),
// and calls without a token.
import { describe, expect, it } from "vitest";
import { body, call, useUpstreamGateway } from "./upstream-routes-fixtures.ts";

useUpstreamGateway();

describe("custom upstream routes", () => {
  it.each([
    [{ provider_id: "Not A Slug" }, "provider_id"],
    [{ provider_id: "openai" }, "provider_id"],
    [{ provider_id: "auto" }, "provider_id"],
    [{ api_key: "" }, "api_key"],
    [{ display_name: undefined }, "display_name"],
    [{ extra_headers: { Authorization: "Bearer x" } }, "extra_headers.Authorization"],
    [{ extra_headers: { host: "evil" } }, "extra_headers.host"],
    [{ extra_headers: { Cookie: "a=b" } }, "extra_headers.Cookie"],
    [{ extra_headers: { "content-length": "1" } }, "extra_headers.content-length"],
    [{ extra_headers: { "Transfer-Encoding": "chunked" } }, "extra_headers.Transfer-Encoding"],
    [{ extra_headers: { connection: "close" } }, "extra_headers.connection"],
    [{ extra_headers: { "bad name": "x" } }, "extra_headers.bad name"],
    [{ extra_headers: { "x-a": "1\r\nx-b: 2" } }, "extra_headers.x-a"],
    [{ models: [{ id: "a" }, { id: "a" }] }, "models.1.id"],
    [{ models: [{ id: "a", input_price: -1 }] }, "models.0.input_price"],
    [{ owner: { type: "org" } }, "owner.id"],
  ])("refuses an invalid body %j with 400 invalid_body naming %s", async (over, param) => {
    const res = await call("POST", "/v1/upstreams", { as: "alice", body: body({ provider_id: "invalid", ...over }) });
    expect(res.status).toBe(400);
    expect(res.body?.error).toMatchObject({ code: "invalid_body", type: "invalid_request_error", param });
  });

  it.each([
    ["http://169.254.169.254/latest", "plain http"],
    ["https://169.254.169.254/latest", "169.254.169.254"],
    ["https://10.1.2.3/v1", "private"],
    ["https://[::1]/v1", "loopback"],
    ["http://example.com/v1", "plain http"],
    ["ftp://example.com/v1", "scheme"],
    ["https://user:pw@example.com/v1", "credentials"],
  ])("refuses the unsafe base_url %s with 400 unsafe_upstream_url", async (url, why) => {
    const res = await call("POST", "/v1/upstreams", { as: "alice", body: body({ provider_id: "unsafe", base_url: url }) });
    expect(res.status).toBe(400);
    expect(res.body?.error).toMatchObject({ code: "unsafe_upstream_url", param: "base_url" });
    expect(res.body?.error?.message).toContain(why);
  });

  it("needs a token", async () => {
    const res = await call("GET", "/v1/upstreams");
    expect(res.status).toBe(401);
    expect(res.body?.error?.code).toBe("missing_token");
  });
});
