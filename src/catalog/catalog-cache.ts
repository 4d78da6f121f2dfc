import { TtlCache } from "../cache/ttl-cache.ts";
import type { Db } from "../db/db.ts";
import { listEnabledModels } from "../db/repos/catalog.ts";

export type CatalogModel = Awaited<ReturnType<typeof listEnabledModels>>[number];

/**
 * The enabled catalog, loaded whole and cached per isolate: catalogs are small, and one cached
 * map serves both GET /v1/models and every chat request's price and free-model lookup.
 */
export class CatalogCache {
  readonly #cache: TtlCache<ReadonlyMap<string, CatalogModel>>;
  readonly #db: Db;

  constructor(db: Db, opts: { ttlMs?: number; now?: () => number } = {}) {
    this.#db = db;
    const ttlMs = opts.ttlMs ?? 30_000;
    this.#cache = new TtlCache({ ttlMs, negativeTtlMs: ttlMs, maxEntries: 1, ...(opts.now ? { now: opts.now } : {}) });
  }

  async all(): Promise<ReadonlyMap<string, CatalogModel>> {
    const models = await this.#cache.get("all", async () => new Map((await listEnabledModels(this.#db)).map((m) => [m.id, m])));
    return models ?? new Map();
  }

  async get(id: string): Promise<CatalogModel | undefined> {
    return (await this.all()).get(id);
  }

  /** After a local write to the catalog. */
  forget(): void {
    this.#cache.clear();
  }
}
