import { asc, eq } from "drizzle-orm";
import type { Db } from "../db.ts";
import { catalogModels } from "../schema/index.ts";

/** A catalog entry. Prices: integer microdollars per 1,000,000 tokens (see schema/catalog.ts). */
export type CatalogModel = typeof catalogModels.$inferSelect;

export interface UpsertModelInput {
  id: string;
  provider: string;
  /** Defaults to the id without its `<provider>/` prefix. */
  upstreamModel?: string | undefined;
  contextLength?: number | null | undefined;
  inputPrice?: number | null | undefined;
  outputPrice?: number | null | undefined;
  free?: boolean | undefined;
  enabled?: boolean | undefined;
}

const defaultUpstreamModel = (id: string, provider: string) => (id.startsWith(`${provider}/`) ? id.slice(provider.length + 1) : id);

/**
 * Inserts the model or updates it by id. On update only the given fields change (an omitted
 * price keeps the stored one); `null` clears a nullable field.
 */
export async function upsertModel(db: Db, input: UpsertModelInput): Promise<CatalogModel> {
  const given = {
    provider: input.provider,
    ...(input.upstreamModel !== undefined ? { upstreamModel: input.upstreamModel } : {}),
    ...(input.contextLength !== undefined ? { contextLength: input.contextLength } : {}),
    ...(input.inputPrice !== undefined ? { inputPrice: input.inputPrice } : {}),
    ...(input.outputPrice !== undefined ? { outputPrice: input.outputPrice } : {}),
    ...(input.free !== undefined ? { free: input.free } : {}),
    ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
  };
  const [row] = await db
    .insert(catalogModels)
    .values({ id: input.id, upstreamModel: defaultUpstreamModel(input.id, input.provider), ...given })
    .onConflictDoUpdate({ target: catalogModels.id, set: given })
    .returning();
  if (!row) throw new Error("upsert returned no row");
  return row;
}

/** Every entry, enabled or not, by id. */
export async function listModels(db: Db): Promise<CatalogModel[]> {
  return db.select().from(catalogModels).orderBy(asc(catalogModels.id));
}

export async function listEnabledModels(db: Db): Promise<CatalogModel[]> {
  return db.select().from(catalogModels).where(eq(catalogModels.enabled, true)).orderBy(asc(catalogModels.id));
}

/** The entry whether enabled or not. */
export async function getModel(db: Db, id: string): Promise<CatalogModel | undefined> {
  const [row] = await db.select().from(catalogModels).where(eq(catalogModels.id, id));
  return row;
}
