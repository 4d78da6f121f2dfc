import { serviceAvailable } from "../support/services.ts";
import { startWorkerd } from "../support/runtimes/workerd.ts";
import { withEdgeStandIns } from "../support/runtimes/edge-storage.ts";
import { conformanceSuite } from "./suite.ts";

// The workerd adapter needs Neon and Upstash: stand-ins in front of the real PostgreSQL and Redis.
const ready = (await serviceAvailable("postgres")) && (await serviceAvailable("redis"));
conformanceSuite("workerd", withEdgeStandIns(startWorkerd), { skip: !ready });
