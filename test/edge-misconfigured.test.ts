// An edge deployment with settings missing or wrong answers every request with one JSON error
// naming all of them (never their values), on the runtimes that serve per request: workerd
// (Cloudflare Workers) and the Vercel Edge runtime.
import { describe, expect, it } from "vitest";
import { startEdge, startWorkerd } from "./support/runtimes/index.ts";

const BAD_TOKEN = "too-short-1";

describe.each([
  ["workerd", startWorkerd],
  ["vercel edge", startEdge],
])("a misconfigured gateway on %s", (_runtime, start) => {
  it("answers 503 gateway_misconfigured naming every missing or bad setting, on every request", async () => {
    const gw = await start({ GATEWAY_ADMIN_TOKEN: BAD_TOKEN, OPENAI_API_KEY: "sk-not-shown" });
    try {
      for (const path of ["/healthz", "/v1/chat/completions", "/admin/users"]) {
        const res = await fetch(`${gw.url}${path}`, { method: path === "/healthz" ? "GET" : "POST", body: path === "/healthz" ? undefined : "{}" });
        expect(res.status).toBe(503);
        expect(res.headers.get("content-type")).toBe("application/json");
        const body = (await res.json()) as { error: Record<string, unknown> };
        expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
        expect(body.error.code).toBe("gateway_misconfigured");
        const message = String(body.error.message);
        for (const setting of ["GATEWAY_ADMIN_TOKEN", "DATABASE_URL", "UPSTASH_REDIS_REST_URL", "UPSTASH_REDIS_REST_TOKEN"]) expect(message).toContain(setting);
        expect(message).not.toContain(BAD_TOKEN);
        expect(message).not.toContain("sk-not-shown");
      }
    } finally {
      await gw.close();
    }
  });
});
