import { serviceAvailable } from "../support/services.ts";
import { startEdge } from "../support/runtimes/edge.ts";
import { withEdgeStandIns } from "../support/runtimes/edge-storage.ts";
import { conformanceSuite } from "./suite.ts";

// The edge adapter needs Neon and Upstash: stand-ins in front of the real PostgreSQL and Redis.
const ready = (await serviceAvailable("postgres")) && (await serviceAvailable("redis"));
conformanceSuite("edge", withEdgeStandIns(startEdge), { skip: !ready });
