// Weighted splits: over 10,000 task ids each target's share lands within ±1.5 percentage points of
// its weight (for p = 0.5 one standard deviation is 0.5 pp at this size, so a well-mixed hash
// passes with room and a biased one fails), the same task id always gets the same target, and
// without a task id or a user the choice is random. Checked on the split functions themselves and
// through resolveRequest with a real RouteBook and catalog (PGlite), as requests are routed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CatalogCache } from "../../../src/catalog/catalog-cache.ts";
import type { Provider } from "../../../src/config/providers.ts";
import { ANONYMOUS, type Caller } from "../../../src/domain/caller.ts";
import { OrgPolicies } from "../../../src/policy/org-policy.ts";
import { resolveRequest, type ResolveSources } from "../../../src/routing/resolve.ts";
import { OwnerCredentials } from "../../../src/routing/owner-credentials.ts";
import { RouteBook } from "../../../src/routing/route-book.ts";
import type { StoredRoute } from "../../../src/routing/route-store.ts";
import { pickWeighted, splitOrder, splitPoint } from "../../../src/routing/split.ts";
import { upsertModel } from "../../../src/store/repos/catalog.ts";
import { pgliteDb } from "../../support/owners.ts";

const N = 10_000;
const TOLERANCE_PP = 1.5;
const taskIds = Array.from({ length: N }, (_, i) => `task-${i}`);

const WEIGHT_SETS: readonly (readonly number[])[] = [
  [50, 50],
  [90, 10],
  [70, 20, 10],
  [1, 2, 3, 4],
];

/** Each index's share of `picks`, in percent. */
function sharesPct(picks: readonly number[], size: number): number[] {
  const counts = new Array<number>(size).fill(0);
  for (const p of picks) counts[p] = (counts[p] ?? 0) + 1;
  return counts.map((c) => (100 * c) / picks.length);
}

/** The weights as percentages of their total. */
const weightsPct = (weights: readonly number[]): number[] => {
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => (100 * w) / total);
};

function expectNear(actual: readonly number[], expected: readonly number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - expected[i]!), `target ${i}: ${a.toFixed(2)}% vs ${expected[i]!.toFixed(2)}%`).toBeLessThanOrEqual(TOLERANCE_PP));
}

describe("split functions", () => {
  it.each(WEIGHT_SETS.map((w) => [w.join("/"), w] as const))("splits 10,000 task ids %s within ±1.5 pp", (_label, weights) => {
    const picks = taskIds.map((id) => pickWeighted(weights, splitPoint(`task:${id}`, "route-salt")));
    expectNear(sharesPct(picks, weights.length), weightsPct(weights));
  });

  it("gives a task id the same point and target every time, and each route its own split", () => {
    for (const id of taskIds.slice(0, 500)) {
      const point = splitPoint(`task:${id}`, "r1");
      expect(splitPoint(`task:${id}`, "r1")).toBe(point);
      expect(point).toBeGreaterThanOrEqual(0);
      expect(point).toBeLessThan(1);
    }
    // The route id salts the hash: one task does not land on the same side of every route.
    const sides = (salt: string) => taskIds.map((id) => pickWeighted([1, 1], splitPoint(`task:${id}`, salt)));
    const [a, b] = [sides("r1"), sides("r2")];
    const agree = a.filter((x, i) => x === b[i]).length / N;
    expect(agree).toBeGreaterThan(0.45);
    expect(agree).toBeLessThan(0.55);
  });

  it("without a key the point is the random source's", () => {
    const seq = [0.05, 0.95, 0.8];
    let i = 0;
    const random = () => seq[i++ % seq.length]!;
    expect([0, 1, 2].map(() => splitPoint(null, "r1", random))).toEqual(seq);
    expect(seq.map((p) => pickWeighted([70, 20, 10], p))).toEqual([0, 2, 1]);
  });

  it("orders the picked target first, then the rest heaviest first", () => {
    expect(splitOrder([70, 20, 10], 0.95)).toEqual([2, 0, 1]);
    expect(splitOrder([10, 20, 70], 0.05)).toEqual([0, 2, 1]);
    expect(splitOrder([1, 1, 1], 0.5)).toEqual([1, 0, 2]);
  });
});

describe("resolveRequest on a weighted route", () => {
  const MODELS = ["openai/m-a", "groq/m-b", "together/m-c", "openrouter/m-d"];
  const routes: StoredRoute[] = WEIGHT_SETS.map((weights) => ({
    id: `config:split-${weights.join("-")}`,
    owner: null,
    name: `split-${weights.join("-")}`,
    definition: { strategy: "weighted", targets: weights.map((weight, i) => ({ model: MODELS[i]!, weight })) },
    source: "config",
    createdAt: null,
    updatedAt: null,
  }));
  let t: Awaited<ReturnType<typeof pgliteDb>>;
  let src: ResolveSources;

  beforeAll(async () => {
    t = await pgliteDb();
    // Free catalog models: an anonymous caller may use them, so the route resolves without keys.
    for (const id of MODELS) await upsertModel(t.db, { id, provider: id.slice(0, id.indexOf("/")), free: true });
    const providers = new Map<string, Provider>(MODELS.map((m) => m.slice(0, m.indexOf("/"))).map((id) => [id, { id, baseUrl: `https://${id}.test/v1`, apiKey: "sk-test", models: [] }]));
    src = {
      targets: { passthrough: false, providers, builtinBaseUrls: new Map(), catalog: new CatalogCache(t.db), ownerCredentials: new OwnerCredentials(t.db, null) },
      routes: new RouteBook({ db: t.db, orgsOf: async () => [], config: routes }),
      health: null,
      orgs: new OrgPolicies(t.db),
    };
  });
  afterAll(async () => {
    await t?.close();
  });

  /** The models a request is tried on, in order. */
  async function order(route: string, taskId: string | null, caller: Caller = ANONYMOUS): Promise<string[]> {
    const { targets } = await resolveRequest([`route/${route}`], { caller, taskId, mode: null, waitUntil: () => {} }, src);
    return targets.map((t) => t.resolvedModel);
  }

  it.each(routes.map((r) => [r.name, r] as const))("splits 10,000 task ids on %s within ±1.5 pp, every target in each order", async (_name, route) => {
    const weights = route.definition.targets.map((t) => t.weight ?? 0);
    const picks: number[] = [];
    for (const id of taskIds) {
      const tried = await order(route.name, id);
      expect(tried).toHaveLength(weights.length);
      expect(new Set(tried).size).toBe(weights.length);
      picks.push(MODELS.indexOf(tried[0]!));
    }
    expectNear(sharesPct(picks, weights.length), weightsPct(weights));
  });

  it("sends a repeated task id to the same target, for any caller", async () => {
    const user: Caller = { kind: "user", userId: "u1", via: "api_key", apiKeyId: "k1", org: null, limits: { rpm: null, tpm: null } };
    for (const id of taskIds.slice(0, 200)) {
      const first = await order("split-50-50", id);
      for (let i = 0; i < 5; i++) expect(await order("split-50-50", id)).toEqual(first);
      // The task decides, not who asks.
      expect(await order("split-50-50", id, user)).toEqual(first);
    }
  });

  it("without a task id sticks to the user, and with neither picks at random", async () => {
    const asUser = (userId: string): Caller => ({ kind: "user", userId, via: "api_key", apiKeyId: null, org: null, limits: { rpm: null, tpm: null } });
    const userFirsts = new Set<string>();
    for (let u = 0; u < 50; u++) {
      const first = (await order("split-50-50", null, asUser(`user-${u}`)))[0]!;
      for (let i = 0; i < 5; i++) expect((await order("split-50-50", null, asUser(`user-${u}`)))[0]).toBe(first);
      userFirsts.add(first);
    }
    expect(userFirsts.size).toBe(2);

    // Anonymous, no task: 1,000 requests split near 50/50 (σ = 1.6 pp), not all one way.
    const picks: number[] = [];
    for (let i = 0; i < 1000; i++) picks.push(MODELS.indexOf((await order("split-50-50", null))[0]!));
    const [a] = sharesPct(picks, 2);
    expect(a).toBeGreaterThan(40);
    expect(a).toBeLessThan(60);
  });
});
