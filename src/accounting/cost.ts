import type { Pricing } from "../domain/target.ts";

/**
 * What a request costs, in integer microdollars: tokens times the per-million prices, rounded
 * up (a request is never free because it was small).
 */
export function costMicrodollars(promptTokens: number, completionTokens: number, pricing: Pricing): number {
  const scaled = promptTokens * pricing.inputPerMillion + completionTokens * pricing.outputPerMillion;
  if (scaled <= Number.MAX_SAFE_INTEGER) return Math.ceil(scaled / 1_000_000);
  // Beyond 2^53 the float product is inexact; count it exactly instead (rare: huge prices).
  const big = (n: number) => BigInt(Math.round(n));
  const exact = big(promptTokens) * big(pricing.inputPerMillion) + big(completionTokens) * big(pricing.outputPerMillion);
  return Number((exact + 999_999n) / 1_000_000n);
}

/** Microdollars for a cost reported in dollars (pass-through pricing), rounded up; bounded to a safe integer. */
export function reportedCostMicrodollars(dollars: number): number {
  return Math.min(Number.MAX_SAFE_INTEGER, Math.ceil(dollars * 1_000_000));
}
