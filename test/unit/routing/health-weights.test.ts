// How health bends traffic: the probe share of cooling targets, the healthy targets' shares, and
// the order when nothing is healthy.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { effectiveWeights, leastBadFirst, type HealthView } from "../../../src/routing/health-board.ts";

const healthy = (errorRate = 0): HealthView => ({ state: "healthy", errorRate, calls: 100, coolingMs: 0 });
const cooling = (errorRate: number, coolingMs = 30_000): HealthView => ({ state: "cooling", errorRate, calls: 100, coolingMs });
const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

describe("effectiveWeights", () => {
  it("keeps the base weights while every target is healthy", () => {
    expect(effectiveWeights([3, 1, 6], [healthy(), healthy(0.2), healthy()])).toEqual([3, 1, 6]);
  });

  it("leaves cooling targets 10% of the total between them; healthy ones share the rest by weight", () => {
    const w = effectiveWeights([1, 1, 2], [cooling(0.9), healthy(), healthy()]);
    expect(w[0]).toBeCloseTo(0.4);
    expect(w[1]).toBeCloseTo(1.2);
    expect(w[2]).toBeCloseTo(2.4);
    const two = effectiveWeights([2, 2, 6], [cooling(1), cooling(0.6), healthy()]);
    expect(two[0]).toBeCloseTo(0.5);
    expect(two[1]).toBeCloseTo(0.5);
    expect(two[2]).toBeCloseTo(9);
  });

  it("never gives a cooling target more than its own weight", () => {
    const w = effectiveWeights([99, 1], [healthy(), cooling(1)]);
    expect(w).toEqual([99, 1]);
  });

  it("when every target is cooling, follows health: the least error rate gets the most", () => {
    const w = effectiveWeights([1, 1, 1], [cooling(0.9), cooling(0.6), cooling(1)]);
    expect(sum(w)).toBeCloseTo(3);
    expect(w[1]).toBeGreaterThan(w[0]!);
    expect(w[0]).toBeGreaterThan(w[2]!);
    // 0.4 : 0.1 : 0.01 of success.
    expect(w[1]! / w[0]!).toBeCloseTo(4);
    expect(w[2]).toBeGreaterThan(0); // still tried now and then
    // Base weights no longer decide: a heavy failing target does not outweigh a lighter, better one.
    const [heavy, light] = effectiveWeights([10, 1], [cooling(0.9), cooling(0.5)]);
    expect(light).toBeGreaterThan(heavy!);
  });

  it("always keeps the total and every target's share positive", () => {
    const view = fc.oneof(
      fc.double({ min: 0, max: 1, noNaN: true }).map((r) => healthy(r)),
      fc.double({ min: 0, max: 1, noNaN: true }).map((r) => cooling(r)),
    );
    const targets = fc.array(fc.tuple(fc.double({ min: 0.001, max: 1000, noNaN: true }), view), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(targets, (ts) => {
        const base = ts.map(([w]) => w);
        const views = ts.map(([, v]) => v);
        const w = effectiveWeights(base, views);
        expect(sum(w)).toBeCloseTo(sum(base), 6);
        for (const x of w) expect(x).toBeGreaterThan(0);
        const coolingShare = sum(w.filter((_, i) => views[i]?.state === "cooling"));
        if (views.some((v) => v.state === "healthy")) expect(coolingShare).toBeLessThanOrEqual(0.1 * sum(base) + 1e-9);
      }),
    );
  });

  it("rejects mismatched or non-positive weights", () => {
    expect(() => effectiveWeights([1, 2], [healthy()])).toThrow(RangeError);
    expect(() => effectiveWeights([0], [healthy()])).toThrow(RangeError);
    expect(() => effectiveWeights([Number.NaN], [healthy()])).toThrow(RangeError);
  });
});

describe("leastBadFirst", () => {
  it("puts healthy targets first as listed, then cooling ones by error rate", () => {
    expect(leastBadFirst([cooling(0.9), healthy(0.3), cooling(0.5), healthy()])).toEqual([1, 3, 2, 0]);
  });

  it("orders an all-cooling route least bad first: error rate, then the nearer end of cooldown, then as listed", () => {
    expect(leastBadFirst([cooling(0.8, 5000), cooling(0.6, 20_000), cooling(0.6, 1000), cooling(0.6, 1000)])).toEqual([2, 3, 1, 0]);
  });
});
