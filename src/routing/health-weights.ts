// How target health bends a route's traffic: pure functions over the views a HealthBoard gives.
// A cooling target is not dropped: it keeps a small probe share, so that fresh calls tell whether
// it has recovered; and when every target is cooling, traffic still flows, to the least bad first.

/** What routing knows of one target's health (HealthBoard.view). */
export interface HealthView {
  state: "healthy" | "cooling";
  /** Errors / calls over the failover window (both stores' count); 0 without calls. */
  errorRate: number;
  calls: number;
  /** Milliseconds left of the cooldown; 0 when healthy. */
  coolingMs: number;
}

/** The share of a route's total weight that its cooling targets keep together, as probes. */
export const PROBE_SHARE = 0.1;

/**
 * When nothing is healthy, a target's weight follows its success rate (1 - errorRate), with this
 * floor so that a target failing every call is still tried now and then, and weights never all vanish.
 */
export const MIN_SUCCESS = 0.01;

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/**
 * The weights a weighted route splits by, given its targets' base weights and health (same order,
 * same total). With no target cooling: the base weights. With some cooling: those together keep
 * PROBE_SHARE of the total (never more than their own base weights: a probe is a cut, not a boost),
 * split in proportion to their weights, and the healthy ones share the rest likewise. With every
 * target cooling: base weights stop mattering and health alone decides, so the least error rate
 * gets the most traffic.
 */
export function effectiveWeights(weights: readonly number[], views: readonly HealthView[]): number[] {
  if (weights.length !== views.length) throw new RangeError("one health view per weight");
  if (!weights.every((w) => Number.isFinite(w) && w > 0)) throw new RangeError("weights must be finite and > 0");
  const cooling = views.map((v) => v.state === "cooling");
  const total = sum(weights);
  const coolingBase = sum(weights.filter((_, i) => cooling[i]));
  const healthyBase = sum(weights.filter((_, i) => !cooling[i]));
  if (coolingBase === 0) return [...weights];
  if (healthyBase === 0) {
    const success = views.map((v) => Math.max(1 - v.errorRate, MIN_SUCCESS));
    const all = sum(success);
    return success.map((s) => (total * s) / all);
  }
  const probe = Math.min(PROBE_SHARE * total, coolingBase);
  return weights.map((w, i) => (cooling[i] ? (probe * w) / coolingBase : ((total - probe) * w) / healthyBase));
}

/**
 * Candidate indices in the order a fallback should try them: healthy ones first as listed, then
 * cooling ones least bad first (lower error rate, then the nearer end of cooldown, then as listed).
 * When every target is cooling this is the whole order, so the least bad one is still tried first.
 */
export function leastBadFirst(views: readonly HealthView[]): number[] {
  const listed = views.map((_, i) => i);
  const healthy = listed.filter((i) => views[i]?.state !== "cooling");
  const cooling = listed.filter((i) => views[i]?.state === "cooling");
  const rank = (i: number): [number, number] => [views[i]?.errorRate ?? 0, views[i]?.coolingMs ?? 0];
  cooling.sort((a, b) => {
    const [ra, ca] = rank(a);
    const [rb, cb] = rank(b);
    return ra - rb || ca - cb || a - b;
  });
  return [...healthy, ...cooling];
}
