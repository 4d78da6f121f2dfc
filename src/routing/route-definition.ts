// A named route (a virtual model): what `route/<name>` (or, for the operator, a plain model id it
// stands for) expands to. The same schema checks a route when it is saved and when it is read back.
import { z } from "zod";
import type { Owner } from "../domain/owner.ts";
import { MODEL_ID_MAX, modelIdProblem } from "./model-id.ts";

/** Candidates of one route at most: each may be tried in turn. */
export const MAX_ROUTE_TARGETS = 8;
/** Statuses a route may ask to retry on: those that fail over at all. */
export const RETRIABLE_STATUSES = [408, 429, 500, 502, 503, 504] as const;

const modelId = z
  .string()
  .max(MODEL_ID_MAX)
  .superRefine((id, ctx) => {
    const problem = modelIdProblem(id);
    if (problem !== null) ctx.addIssue({ code: "custom", message: `model ${problem}` });
  });

export const routeDefinitionSchema = z
  .object({
    strategy: z.enum(["fallback", "weighted"]),
    targets: z
      .array(z.object({ model: modelId, weight: z.number().positive().max(1_000_000).optional() }).strict())
      .min(1)
      .max(MAX_ROUTE_TARGETS),
    retry: z
      .object({
        attempts: z.number().int().min(1).max(5),
        on_status: z.array(z.union(RETRIABLE_STATUSES.map((s) => z.literal(s)))).min(1).optional(),
      })
      .strict()
      .optional(),
    sticky: z.enum(["task", "user"]).optional(),
    failover: z
      .object({
        error_rate_threshold: z.number().gt(0).max(1),
        window_s: z.number().int().min(1).max(3600),
        min_requests: z.number().int().min(1).max(100_000),
        cooldown_s: z.number().int().min(1).max(86_400),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((route, ctx) => {
    if (route.strategy === "weighted" && route.targets.some((t) => t.weight === undefined)) {
      ctx.addIssue({ code: "custom", message: "a weighted route gives every target a weight", path: ["targets"] });
    }
  });

export type RouteDefinition = z.output<typeof routeDefinitionSchema>;

/** A route as stored: owned by a user, an organization, or (owner null) the operator. */
export interface NamedRoute {
  id: string;
  owner: Owner | null;
  /** A slug, addressed as `route/<name>`; an operator route may instead be named by a model id it stands for. */
  name: string;
  definition: RouteDefinition;
}

export const ROUTE_PREFIX = "route/";

/** Where a route target's calls are counted for error-rate failover: per route and per target. */
export function healthKeyOf(route: Pick<NamedRoute, "owner" | "name">, targetIndex: number): string {
  const owner = route.owner === null ? "operator" : `${route.owner.type}:${route.owner.id}`;
  return `route:${owner}:${route.name}:${targetIndex}`;
}
