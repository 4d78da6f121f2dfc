// What the named-route routes share: their errors, the definition check, a PATCH merged into the
// stored definition, the cycle and depth check in the saving owner's view, and one name per owner.
import { ownersInScope } from "../../access/owners.ts";
import type { Container } from "../../container/container.ts";
import type { Owner } from "../../domain/owner.ts";
import { GatewayError } from "../../http/errors.ts";
import { routeDefinitionSchema, type RouteDefinition } from "../../routing/route-definition.ts";
import { describeProblem, graphProblem } from "../../routing/route-graph.ts";
import { routeModelId } from "../../routing/route-name.ts";
import { operatorRoutes, ownedRoutes, type StoredRoute } from "../../routing/route-store.ts";
import { unlessDuplicate } from "../unique.ts";

export const routeNotFound = (name: string) => () => new GatewayError(404, "named_route_not_found", `No route "${routeModelId(name)}".`);

export const readOnly = (route: StoredRoute) =>
  new GatewayError(
    403,
    "route_read_only",
    route.source === "config"
      ? `Route "${route.name}" is declared in GATEWAY_ROUTES; save one of the same name through POST /admin/routes to override it.`
      : `Route "${route.name}" is the operator's; save a route of your own of the same name to use instead.`,
  );

/** The whole definition, checked (400 invalid_body naming the field). */
export function checkDefinition(raw: unknown): RouteDefinition {
  const parsed = routeDefinitionSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join(".") : null;
  throw new GatewayError(400, "invalid_body", field ? `${field}: ${issue?.message}` : (issue?.message ?? "invalid route"), field);
}

export interface DefinitionPatch {
  strategy?: RouteDefinition["strategy"] | undefined;
  targets?: RouteDefinition["targets"] | undefined;
  retry?: RouteDefinition["retry"] | null;
  sticky?: RouteDefinition["sticky"] | null;
  failover?: RouteDefinition["failover"] | null;
}

/** `stored` with the fields of `patch` set (null removes an optional one), checked whole. */
export function patchedDefinition(stored: RouteDefinition, patch: DefinitionPatch): RouteDefinition {
  const next: Record<string, unknown> = { ...stored };
  for (const [field, value] of Object.entries(patch)) {
    if (value === null) delete next[field];
    else if (value !== undefined) next[field] = value;
  }
  return checkDefinition(next);
}

/** The routes a request of `owner` can reach, highest precedence first (the operator's last). */
async function viewOf(c: Container, owner: Owner | null): Promise<StoredRoute[]> {
  const operator = await operatorRoutes(c.db, c.configRoutes);
  if (owner === null) return operator;
  // A user's own requests see their organizations' routes too; an organization's see its own.
  const owners = owner.type === "org" ? [owner] : await ownersInScope(c.orgsOf, { kind: "user", userId: owner.id });
  return [...(await ownedRoutes(c.db, owners)), ...operator];
}

/** Refuses a save that would make a route of the owner's view expand forever or too deep (400). */
export async function checkGraph(c: Container, owner: Owner | null, name: string, definition: RouteDefinition): Promise<void> {
  const problem = graphProblem({ owner, name, definition }, await viewOf(c, owner));
  if (problem !== null) throw new GatewayError(400, problem.code, describeProblem(problem), "targets");
}

/** One name per owner. */
export const uniqueName = <T>(name: string, write: () => Promise<T>): Promise<T> =>
  unlessDuplicate(write, () => new GatewayError(409, "route_exists", `This owner already has a route named "${name}".`, "name"));
