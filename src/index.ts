// The core's public surface: what adapters (and only adapters) import.
export { createGateway, type Gateway } from "./gateway.ts";
export { parseConfig, ConfigError, type Config } from "./config/schema.ts";
export type { GatewayDeps, FastPaths, FetchLike, DocumentFactory, Logger, WaitUntil, ExecutionContextLike, UpstreamInit } from "./container/deps.ts";
export { UPSTREAM_ABORT } from "./container/deps.ts";
export { signalHook, type ClientAbortHook } from "./http/context.ts";
export { Stopper } from "./http/stopper.ts";
export { edgeStorage, useNeonEndpoint, type EdgeStorage } from "./platform/edge.ts";
export type { Db } from "./store/db.ts";
export { createMemoryCounters, createUpstashCounters, type CounterStore } from "./counters/index.ts";
