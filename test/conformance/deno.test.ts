import { serviceAvailable } from "../support/services.ts";
import { startDeno } from "../support/runtimes/deno.ts";
import { withEdgeStandIns } from "../support/runtimes/edge-storage.ts";
import { conformanceSuite } from "./suite.ts";

// The deno adapter needs Neon and Upstash: stand-ins in front of the real PostgreSQL and Redis.
const ready = (await serviceAvailable("postgres")) && (await serviceAvailable("redis"));
conformanceSuite("deno", withEdgeStandIns(startDeno), { skip: !ready });
