import { describe, expect, it } from "vitest";
import { ConfigError, edgeStorage, parseConfig } from "../../../src/index.ts";

const full = {
  DATABASE_URL: "postgresql://u:p@ep-test.eu-central-1.aws.neon.tech/db",
  UPSTASH_REDIS_REST_URL: "https://example.upstash.io",
  UPSTASH_REDIS_REST_TOKEN: "token",
};

describe("edge storage", () => {
  it.each([
    ["DATABASE_URL", { ...full, DATABASE_URL: "" }],
    ["UPSTASH_REDIS_REST_URL", { ...full, UPSTASH_REDIS_REST_URL: "" }],
    ["UPSTASH_REDIS_REST_TOKEN", { ...full, UPSTASH_REDIS_REST_TOKEN: "" }],
  ])("refuses to start without %s instead of falling back to per-isolate memory", (setting, env) => {
    const start = () => edgeStorage(parseConfig(env), "Cloudflare Workers");
    expect(start).toThrow(ConfigError);
    expect(start).toThrow(`invalid configuration: ${setting}: `);
    expect(start).toThrow("Cloudflare Workers");
  });

  it("builds the Neon database and Upstash counters when everything is set", () => {
    const storage = edgeStorage(parseConfig(full), "Vercel Edge");
    expect(typeof storage.db.select).toBe("function");
    expect(typeof storage.counters.hit).toBe("function");
  });
});
