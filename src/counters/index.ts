// Rate-limit counters and the health counts of error-rate failover: the store interface, its
// memory and Upstash implementations, and the identifier hashing callers use to build keys.

export {
  CounterStoreError,
  type BudgetOptions,
  type CounterResult,
  type CounterStore,
  type HealthCount,
  type HealthStore,
  type HitOptions,
  type SettleOptions,
  type WindowKind,
} from "./counter-store.ts";
export { createMemoryCounters, type MemoryCounters, type MemoryCountersOptions } from "./memory-counters.ts";
export { createUpstashCounters, type UpstashCountersOptions } from "./upstash-counters.ts";
export { hashIdentifier } from "./hash-identifier.ts";
export { DEFAULT_NAMESPACE, isCounterKey } from "./windows.ts";
