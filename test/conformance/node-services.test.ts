import { serviceAvailable } from "../support/services.ts";
import { startNode } from "../support/runtimes/node.ts";
import { withEdgeStandIns } from "../support/runtimes/edge-storage.ts";
import { conformanceSuite } from "./suite.ts";

// The Node adapter on the production storage path: Neon over HTTP and Upstash over REST (local
// stand-ins in front of the real PostgreSQL and Redis) instead of the embedded defaults.
const ready = (await serviceAvailable("postgres")) && (await serviceAvailable("redis"));
conformanceSuite("node with Neon and Upstash", withEdgeStandIns(startNode), { skip: !ready });
