import { startNode } from "./support/runtimes/node.ts";
import { conformanceSuite } from "./conformance/suite.ts";

conformanceSuite("node", startNode);
