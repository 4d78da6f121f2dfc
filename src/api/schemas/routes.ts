// Bodies and answers of the named-route routes (/v1/routes, /admin/routes). A route's definition
// fields are those of routing/route-definition.ts, side by side with its name (and owner); the
// whole definition is checked again by that schema once a body is read (a weighted route needs
// every weight, a PATCH is checked merged).
import { z } from "zod";
import { routeDefinitionSchema } from "../../routing/route-definition.ts";
import { ROUTE_SLUG, routeNameProblem, SLUG_RULE } from "../../routing/route-name.ts";
import { ownerSchema, timestamp } from "./common.ts";
import { ownerRef } from "./upstreams.ts";

const def = routeDefinitionSchema.shape;
const definitionFields = { strategy: def.strategy, targets: def.targets, retry: def.retry, sticky: def.sticky, failover: def.failover };

const slugName = z.string().regex(ROUTE_SLUG, SLUG_RULE).describe("addressed as route/<name>");
const operatorName = z
  .string()
  .max(321)
  .superRefine((name, ctx) => {
    const problem = routeNameProblem(name, "operator");
    if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
  })
  .describe("a slug (addressed as route/<name>) or a model id this route stands for, e.g. openai/gpt-4o-mini");

// Bodies are strict, as every self-service body: an unknown field is refused by name.
export const createRouteBody = z.object({ owner: ownerRef.optional(), name: slugName, ...definitionFields }).strict();
export const adminCreateRouteBody = z.object({ name: operatorName, ...definitionFields }).strict();

/** PATCH: any subset of the definition; null removes `retry`, `sticky` or `failover`. The name and owner never change. */
export const patchRouteBody = z
  .object({
    strategy: def.strategy.optional(),
    targets: def.targets.optional(),
    retry: def.retry.unwrap().nullable().optional(),
    sticky: def.sticky.unwrap().nullable().optional(),
    failover: def.failover.unwrap().nullable().optional(),
  })
  .strict();

const healthView = z
  .object({
    state: z.enum(["healthy", "cooling"]).describe("cooling: failing lately, so it only gets probe traffic until its cooldown ends"),
    error_rate: z.number().min(0).max(1),
    calls: z.number().min(0),
    cooling_ms: z.number().int().min(0),
  })
  .describe("recent calls of this target in this route (routes with failover)");

const targetView = z.object({ model: z.string(), weight: z.number().optional(), health: healthView.optional() });

export const routeView = z.object({
  object: z.literal("route"),
  id: z.string(),
  name: z.string(),
  model: z.string().describe("what clients send as `model`: route/<name>, or the model id an operator alias stands for"),
  owner: ownerSchema.nullable().describe("null: the operator's"),
  source: z.enum(["api", "config"]).describe("config: declared in GATEWAY_ROUTES, read-only"),
  strategy: def.strategy,
  targets: z.array(targetView),
  retry: def.retry,
  sticky: def.sticky,
  failover: def.failover,
  created_at: timestamp.nullable(),
  updated_at: timestamp.nullable(),
});
export const routeList = z.object({ object: z.literal("list"), data: z.array(routeView) });
