export { createGateway, type Gateway } from "./gateway.ts";
export { parseConfig, ConfigError, type Config } from "./config/schema.ts";
export type { GatewayDeps, FetchLike, Logger, WaitUntil, ExecutionContextLike } from "./deps.ts";
