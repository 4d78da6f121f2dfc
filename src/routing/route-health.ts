// What route answers show of a target's recent health, read through one small function. The
// container fills it from the health board; without one, answers leave health out rather than
// show made-up numbers.
import type { HealthBoard } from "./health-board.ts";
import type { HealthView } from "./health-weights.ts";
import type { RouteDefinition } from "./route-definition.ts";

export type { HealthView };
export type Failover = NonNullable<RouteDefinition["failover"]>;

/** One target of a route with failover: its health key (healthKeyOf) and the route's settings. */
export interface HealthQuery {
  key: string;
  failover: Failover;
}

/** The health of several targets, in the order asked, in one go (undefined: nothing known of it). */
export type HealthReader = (queries: readonly HealthQuery[]) => Promise<readonly (HealthView | undefined)[]>;

/**
 * Health as this isolate's board last saw it: keys the board tracks (targets requests went
 * through lately); reading never makes it track a key, so an unused route shows none.
 */
export function boardHealth(board: Pick<HealthBoard, "views">): HealthReader {
  return async (queries) => {
    const known = new Map(board.views().map(({ key, view }) => [key, view]));
    return queries.map((q) => known.get(q.key));
  };
}
