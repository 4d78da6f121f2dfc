import { TtlCache } from "../cache/ttl-cache.ts";
import type { Db } from "../store/db.ts";
import { listModels, type CatalogModel } from "../store/repos/catalog.ts";

export type { CatalogModel };

interface Loaded {
  /** Every entry: a disabled one must be known to be refused as such. */
  entries: ReadonlyMap<string, CatalogModel>;
  enabled: ReadonlyMap<string, CatalogModel>;
}

const EMPTY: Loaded = { entries: new Map(), enabled: new Map() };

/**
 * The catalog, loaded whole and cached per isolate: catalogs are small, and one cached map
 * serves both GET /v1/models and every chat request's price and free-model lookup.
 */
export class CatalogCache {
  readonly #cache: TtlCache<Loaded>;
  readonly #db: Db;

  constructor(db: Db, opts: { ttlMs?: number; now?: () => number } = {}) {
    this.#db = db;
    const ttlMs = opts.ttlMs ?? 30_000;
    this.#cache = new TtlCache({ ttlMs, negativeTtlMs: ttlMs, maxEntries: 1, ...(opts.now ? { now: opts.now } : {}) });
  }

  async #load(): Promise<Loaded> {
    const loaded = await this.#cache.get("all", async () => {
      const rows = await listModels(this.#db);
      return { entries: new Map(rows.map((m) => [m.id, m])), enabled: new Map(rows.filter((m) => m.enabled).map((m) => [m.id, m])) };
    });
    return loaded ?? EMPTY;
  }

  /** The enabled entries (what GET /v1/models lists). */
  async all(): Promise<ReadonlyMap<string, CatalogModel>> {
    return (await this.#load()).enabled;
  }

  /** The entry for `id`, enabled or not (callers decide what disabled means). */
  async get(id: string): Promise<CatalogModel | undefined> {
    return (await this.#load()).entries.get(id);
  }

  /** After a local write to the catalog. */
  forget(): void {
    this.#cache.clear();
  }
}
