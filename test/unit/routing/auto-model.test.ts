import { describe, expect, it } from "vitest";
import { activeAutoModel, autoTarget } from "../../../src/routing/auto-model.ts";
import { compileOrgPolicy } from "../../../src/policy/org-policy.ts";

const auto = {
  enabled: true,
  fallback_model: "openai/fallback",
  routes: { build: "openai/build-own", code: "openai/coder", architect: "route/planner" },
};

describe("autoTarget", () => {
  it.each([
    ["an exact slug, even one that is also a legacy alias", "build", "openai/build-own"],
    ["a slug of its own", "code", "openai/coder"],
    ["plan, read as architect", "plan", "route/planner"],
    ["an unknown mode", "review", "openai/fallback"],
    ["no mode at all", null, "openai/fallback"],
    ["constructor (inherited, not saved)", "constructor", "openai/fallback"],
    ["__proto__", "__proto__", "openai/fallback"],
    ["toString", "toString", "openai/fallback"],
    ["hasOwnProperty", "hasOwnProperty", "openai/fallback"],
  ] as const)("%s", (_label, mode, expected) => {
    expect(autoTarget(auto, mode)).toBe(expected);
  });

  it("reads build as code when only code is saved", () => {
    expect(autoTarget({ ...auto, routes: { code: "openai/coder" } }, "build")).toBe("openai/coder");
  });
});

describe("activeAutoModel", () => {
  const policy = (plan: "free" | "enterprise" | null, auto_model?: typeof auto & { enabled: boolean }) => compileOrgPolicy(auto_model ? { auto_model } : {}, plan);

  it("answers the saved auto model on the enterprise plan", () => {
    expect(activeAutoModel("acme", policy("enterprise", auto))).toEqual(auto);
  });

  it.each([
    ["no organization", policy(null, auto), 404, "org_not_found"],
    ["another plan (the model stays saved)", policy("free", auto), 403, "enterprise_plan_required"],
    ["no auto model saved", policy("enterprise"), 404, "model_not_found"],
    ["a disabled one", policy("enterprise", { ...auto, enabled: false }), 403, "auto_model_disabled"],
  ] as const)("refuses %s", (_label, p, status, code) => {
    expect(() => activeAutoModel("acme", p)).toThrow(expect.objectContaining({ status, code }));
  });
});
