// Named routes in GET /v1/models: each `route/<name>` a caller's requests can name, once. An
// operator alias is a model id already: its catalog entry says it is routed rather than being
// listed twice (an alias of a model the catalog does not list gets an entry of its own).
import type { NamedRoute } from "../../routing/route-definition.ts";
import { isAliasName } from "../../routing/route-name.ts";
import { routeModelEntry } from "./named-route-view.ts";

interface Listed {
  id: string;
  route?: { strategy: NamedRoute["definition"]["strategy"] };
}

export function addRouteEntries<E extends Listed>(data: (E | ReturnType<typeof routeModelEntry>)[], routes: readonly NamedRoute[]): void {
  for (const r of routes) {
    const listed = isAliasName(r.name) ? data.find((m) => m.id === r.name) : undefined;
    if (listed !== undefined) listed.route = { strategy: r.definition.strategy };
    else data.push(routeModelEntry(r));
  }
}
