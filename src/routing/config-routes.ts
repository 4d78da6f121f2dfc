// GATEWAY_ROUTES: operator routes declared in configuration, checked in full at start-up (names,
// definitions, no two of one name, no cycle or excess depth among them) so that a bad one stops
// the gateway there, naming the setting. They are read-only through the API.
import { ConfigError, type Config } from "../config/schema.ts";
import { routeDefinitionSchema } from "./route-definition.ts";
import { describeProblem, graphProblem } from "./route-graph.ts";
import { routeNameProblem } from "./route-name.ts";
import type { StoredRoute } from "./route-store.ts";

const SETTING = "GATEWAY_ROUTES";

export function configRoutes(config: Pick<Config, "GATEWAY_ROUTES">): StoredRoute[] {
  const routes: StoredRoute[] = [];
  config.GATEWAY_ROUTES.forEach(({ name, ...definition }, i) => {
    const nameProblem = routeNameProblem(name, "operator");
    if (nameProblem !== null) throw new ConfigError(SETTING, `${i}.name: ${nameProblem}`);
    if (routes.some((r) => r.name === name)) throw new ConfigError(SETTING, `${i}.name: "${name}" is declared twice`);
    const parsed = routeDefinitionSchema.safeParse(definition);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ConfigError(SETTING, `${[i, ...(issue?.path ?? [])].map(String).join(".")}: ${issue?.message ?? "invalid"}`);
    }
    routes.push({ id: `config:${name}`, owner: null, name, definition: parsed.data, source: "config", createdAt: null, updatedAt: null });
  });
  for (const route of routes) {
    const problem = graphProblem(route, routes);
    if (problem !== null) throw new ConfigError(SETTING, `"${route.name}": ${describeProblem(problem)}`);
  }
  return routes;
}
