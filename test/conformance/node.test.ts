import { startNode } from "../support/runtimes/node.ts";
import { conformanceSuite } from "./suite.ts";

conformanceSuite("node", startNode);
