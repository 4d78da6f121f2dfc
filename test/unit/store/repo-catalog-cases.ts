// The model catalog, run on every driver by repo-cases.ts: upserts that touch only the given
// fields, the upstream model name, enabled listing, and the price and context-length checks.
import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../../src/store/db.ts";
import { newId } from "../../../src/store/ids.ts";
import { getModel, listEnabledModels, upsertModel } from "../../../src/store/repos/catalog.ts";
import { catalogModels } from "../../../src/store/schema/index.ts";
import { UNIQUE_VIOLATION } from "../../../src/store/pg-error.ts";
import { CHECK_VIOLATION, failure, type RepoContext } from "./repo-fixtures.ts";

export function catalogCases(ctx: RepoContext): void {
  describe("catalog", () => {
    let db: Db;
    beforeAll(() => {
      db = ctx.db;
    });

    it("inserts with defaults, then updates only the given fields", async () => {
      const id = `${newId("p")}/model-1`;
      const provider = id.split("/")[0] ?? "";
      const inserted = await upsertModel(db, { id, provider, contextLength: 128_000, inputPrice: 150_000, outputPrice: 600_000 });
      expect(inserted).toEqual({
        id,
        provider,
        upstreamModel: "model-1",
        contextLength: 128_000,
        inputPrice: 150_000,
        outputPrice: 600_000,
        free: false,
        enabled: true,
      });
      const updated = await upsertModel(db, { id, provider, outputPrice: 2 ** 40, free: true, contextLength: null });
      expect(updated).toEqual({ ...inserted, outputPrice: 2 ** 40, free: true, contextLength: null });
      expect(await getModel(db, id)).toEqual(updated);
      const renamed = await upsertModel(db, { id, provider, upstreamModel: "model-1-2025" });
      expect(renamed).toEqual({ ...updated, upstreamModel: "model-1-2025" });
    });

    it("keeps an id without its provider's prefix as the upstream model", async () => {
      const id = newId("bare");
      expect((await upsertModel(db, { id, provider: "openai" })).upstreamModel).toBe(id);
      expect(await getModel(db, id)).toMatchObject({ inputPrice: null, outputPrice: null, contextLength: null });
    });

    it("lists enabled models by id and still gets a disabled one", async () => {
      const provider = newId("p");
      await upsertModel(db, { id: `${provider}/b`, provider });
      await upsertModel(db, { id: `${provider}/a`, provider });
      await upsertModel(db, { id: `${provider}/c`, provider, enabled: false });
      const mine = (await listEnabledModels(db)).filter((m) => m.provider === provider);
      expect(mine.map((m) => m.id)).toEqual([`${provider}/a`, `${provider}/b`]);
      expect(await getModel(db, `${provider}/c`)).toMatchObject({ enabled: false });
      expect(await getModel(db, `${provider}/none`)).toBeUndefined();
    });

    it("refuses negative prices and a zero context length", async () => {
      expect(await failure(upsertModel(db, { id: newId("m"), provider: "x", inputPrice: -1 }))).toBe(CHECK_VIOLATION);
      expect(await failure(upsertModel(db, { id: newId("m"), provider: "x", contextLength: 0 }))).toBe(CHECK_VIOLATION);
      const id = newId("m");
      await db.insert(catalogModels).values({ id, provider: "x", upstreamModel: "m" });
      expect(await failure(db.insert(catalogModels).values({ id, provider: "x", upstreamModel: "m" }))).toBe(UNIQUE_VIOLATION);
    });
  });
}
