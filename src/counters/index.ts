// Rate-limit counters: the store interface, its memory and Upstash implementations, and the
// identifier hashing callers use to build keys.

export {
  CounterStoreError,
  type BudgetOptions,
  type CounterResult,
  type CounterStore,
  type HitOptions,
  type SettleOptions,
  type WindowKind,
} from "./counter-store.ts";
export { createMemoryCounters, type MemoryCounters, type MemoryCountersOptions } from "./memory-counters.ts";
export { createUpstashCounters, type UpstashCountersOptions } from "./upstash-counters.ts";
export { hashIdentifier } from "./hash-identifier.ts";
export { DEFAULT_NAMESPACE } from "./windows.ts";
