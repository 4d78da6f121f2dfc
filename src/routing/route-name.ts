// What a route may be called. Users' and organizations' routes are slugs, addressed as
// `route/<name>`; the operator's may also be named by a model id, so that plain clients calling
// that id get the route (an alias).
import { modelIdProblem } from "./model-id.ts";
import { ROUTE_PREFIX } from "./route-definition.ts";

export const ROUTE_SLUG = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const SLUG_RULE = "must be a lower-case slug of at most 64 characters (a-z, 0-9, '.', '_' and '-', starting with a letter or digit)";

/** An operator route named by the model id it stands for (it holds a slash). */
export const isAliasName = (name: string): boolean => name.includes("/");

/** How a client calls the route: `route/<name>`, or an alias's own model id. */
export const routeModelId = (name: string): string => (isAliasName(name) ? name : `${ROUTE_PREFIX}${name}`);

/** The route a `route/<name>` model id names, or undefined for any other id. */
export function routeNameOf(modelId: string): string | undefined {
  return modelId.startsWith(ROUTE_PREFIX) ? modelId.slice(ROUTE_PREFIX.length) : undefined;
}

/** Why `name` cannot name a route of this kind of owner, or null when it can. */
export function routeNameProblem(name: string, by: "owner" | "operator"): string | null {
  if (ROUTE_SLUG.test(name)) return null;
  if (by === "owner" || !isAliasName(name)) return SLUG_RULE;
  if (name.startsWith(ROUTE_PREFIX)) return `must not start with "${ROUTE_PREFIX}": routes are addressed as ${ROUTE_PREFIX}<name> by their slug`;
  const problem = modelIdProblem(name);
  if (problem !== null) return problem;
  const slash = name.indexOf("/");
  if (slash === 0 || name.endsWith("/")) return 'must be a slug or a model id "<provider>/<model>"';
  return null;
}
