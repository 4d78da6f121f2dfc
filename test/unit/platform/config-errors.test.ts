import { describe, expect, it } from "vitest";
import { ConfigError, edgeStorage, misconfiguredResponse, parseConfig, parseEdgeConfig } from "../../../src/index.ts";

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("no ConfigError was thrown");
}

describe("configuration errors", () => {
  it("name every bad setting in one error, in the schema's order, without their values", () => {
    const err = configError(() => parseConfig({ GATEWAY_ADMIN_TOKEN: "short-secret", OPENAI_BASE_URL: "file:///etc/passwd", DATABASE_URL: "mysql://u:pw-secret@h/db" }));
    expect(err.problems.map((p) => p.setting)).toEqual(["GATEWAY_ADMIN_TOKEN", "OPENAI_BASE_URL", "DATABASE_URL"]);
    expect(err.setting).toBe("GATEWAY_ADMIN_TOKEN");
    expect(err.message).toMatch(/^invalid configuration: GATEWAY_ADMIN_TOKEN: .+; OPENAI_BASE_URL: .+; DATABASE_URL: .+$/);
    expect(err.message).not.toMatch(/short-secret|pw-secret|passwd/);
  });

  it.each(["postgres://u:p@h/db", "postgresql://u:p@h:5432/db", "POSTGRES://h/db", "memory://"])("accept DATABASE_URL=%s", (url) => {
    expect(parseConfig({ DATABASE_URL: url }).DATABASE_URL).toBe(url);
  });

  it.each(["mysql://root@127.0.0.1/test", "sqlite:///tmp/x.db", "127.0.0.1:5432/test", "https://ep-x.neon.tech/db"])("refuse DATABASE_URL=%s", (url) => {
    expect(configError(() => parseConfig({ DATABASE_URL: url })).problems).toEqual([
      { setting: "DATABASE_URL", problem: "must be a postgres:// or postgresql:// URL (or memory:// on Node)" },
    ]);
  });

  it("on the edge, name the missing storage settings together with the bad values", () => {
    const err = configError(() => parseEdgeConfig({ GATEWAY_JWT_SECRET: "short", UPSTASH_REDIS_REST_URL: "https://x.upstash.io" }, "Cloudflare Workers"));
    expect(err.problems.map((p) => p.setting)).toEqual(["GATEWAY_JWT_SECRET", "DATABASE_URL", "UPSTASH_REDIS_REST_TOKEN"]);
    expect(err.message).toContain("DATABASE_URL: is required on Cloudflare Workers");
  });

  it("on the edge, refuse memory:// (an isolate has no disk and no lifetime)", () => {
    const env = { DATABASE_URL: "memory://", UPSTASH_REDIS_REST_URL: "https://x.upstash.io", UPSTASH_REDIS_REST_TOKEN: "t" };
    expect(configError(() => parseEdgeConfig(env, "Deno")).problems).toEqual([{ setting: "DATABASE_URL", problem: "memory:// is for Node only; Deno needs a Neon connection string" }]);
    expect(() => edgeStorage(parseConfig(env), "Deno")).toThrow("memory:// is for Node only");
  });

  it("become a 503 in the one error shape", async () => {
    const res = misconfiguredResponse(configError(() => parseEdgeConfig({}, "Vercel Edge")));
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toBe("application/json");
    const body = (await res.json()) as { error: { message: string; type: string; code: string; param: null } };
    expect(body.error).toEqual({
      message:
        "The gateway cannot start until its operator fixes these settings: DATABASE_URL is required on Vercel Edge (a Neon connection string); UPSTASH_REDIS_REST_URL is required on Vercel Edge (rate counters live in Upstash); UPSTASH_REDIS_REST_TOKEN is required on Vercel Edge.",
      type: "upstream_error",
      code: "gateway_misconfigured",
      param: null,
    });
  });
});
