export { startNode } from "./node.ts";
export { startWorkerd } from "./workerd.ts";
export { startDeno } from "./deno.ts";
export { startEdge } from "./edge.ts";
