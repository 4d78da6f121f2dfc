// The core's public surface: what adapters (and only adapters) import.
export { createGateway, type Gateway } from "./gateway.ts";
export { parseConfig, ConfigError, envSchema, type Config, type ConfigProblem } from "./config/schema.ts";
export { enabledProviders } from "./config/providers.ts";
export type { GatewayDeps, FastPaths, FetchLike, DocumentFactory, Logger, WaitUntil, ExecutionContextLike, UpstreamInit } from "./container/deps.ts";
export { UPSTREAM_ABORT } from "./container/deps.ts";
export { signalHook, type ClientAbortHook } from "./http/context.ts";
export { Stopper } from "./http/stopper.ts";
export { edgeStorage, parseEdgeConfig, useNeonEndpoint, type EdgeStorage } from "./platform/edge.ts";
export { misconfiguredResponse } from "./platform/misconfigured.ts";
export { storageState, type StorageState } from "./store/readiness.ts";
export type { Db } from "./store/db.ts";
export { createNeonDb } from "./store/neon.ts";
export * as schema from "./store/schema/index.ts";
export { describeError } from "./http/describe-error.ts";
export type { KeyHasher } from "./auth/hash-key.ts";
export type { ClientIpSource } from "./policy/client-ip.ts";
export { createMemoryCounters, createUpstashCounters, type CounterStore } from "./counters/index.ts";
