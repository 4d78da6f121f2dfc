import { describe, expect, it } from "vitest";
import { TtlCache } from "../../../src/cache/ttl-cache.ts";

function clock(start = 1_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe("TtlCache", () => {
  it("serves a found value until its TTL passes, then reloads", async () => {
    const c = clock();
    const cache = new TtlCache<string>({ ttlMs: 100, negativeTtlMs: 10, maxEntries: 10, now: c.now });
    let loads = 0;
    const load = async () => `v${++loads}`;
    expect(await cache.get("k", load)).toBe("v1");
    c.advance(99);
    expect(await cache.get("k", load)).toBe("v1");
    c.advance(1);
    expect(await cache.get("k", load)).toBe("v2");
  });

  it("remembers 'not found' for the shorter negative TTL", async () => {
    const c = clock();
    const cache = new TtlCache<string>({ ttlMs: 100, negativeTtlMs: 10, maxEntries: 10, now: c.now });
    let loads = 0;
    const load = async () => {
      loads++;
      return undefined;
    };
    expect(await cache.get("missing", load)).toBeUndefined();
    expect(await cache.get("missing", load)).toBeUndefined();
    expect(loads).toBe(1);
    c.advance(10);
    await cache.get("missing", load);
    expect(loads).toBe(2);
  });

  it("shares one load among concurrent cold lookups of a key", async () => {
    const cache = new TtlCache<number>({ ttlMs: 1000, negativeTtlMs: 10, maxEntries: 10 });
    let loads = 0;
    let release!: (n: number) => void;
    const gate = new Promise<number>((r) => (release = r));
    const results = Promise.all(Array.from({ length: 100 }, () => cache.get("k", () => (loads++, gate))));
    release(7);
    expect(await results).toEqual(Array(100).fill(7));
    expect(loads).toBe(1);
  });

  it("does not cache failures", async () => {
    const cache = new TtlCache<number>({ ttlMs: 1000, negativeTtlMs: 1000, maxEntries: 10 });
    await expect(cache.get("k", async () => Promise.reject(new Error("db down")))).rejects.toThrow("db down");
    expect(await cache.get("k", async () => 1)).toBe(1);
  });

  it("drops an answer that a local write invalidated while it loaded", async () => {
    const cache = new TtlCache<string>({ ttlMs: 1000, negativeTtlMs: 1000, maxEntries: 10 });
    let release!: (v: string) => void;
    const stale = cache.get("k", () => new Promise<string>((r) => (release = r)));
    cache.delete("k");
    release("old");
    expect(await stale).toBe("old");
    expect(await cache.get("k", async () => "new")).toBe("new");
  });

  it("keeps at most maxEntries, evicting the oldest", async () => {
    const cache = new TtlCache<number>({ ttlMs: 1000, negativeTtlMs: 1000, maxEntries: 2 });
    let loads = 0;
    const load = async () => ++loads;
    await cache.get("a", load);
    await cache.get("b", load);
    await cache.get("c", load);
    expect(loads).toBe(3);
    await cache.get("c", load);
    await cache.get("b", load);
    expect(loads).toBe(3);
    await cache.get("a", load);
    expect(loads).toBe(4);
  });
});
