// /readyz and the start-up banner read storageState: a database a later migration has not reached
// (a column missing, not only a table) must say "not migrated", not "ready".
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { storageState } from "../../../src/store/readiness.ts";
import { openPglite, type OpenDb } from "./databases.ts";

describe("storageState", () => {
  let open: OpenDb | undefined;
  afterEach(async () => open?.close());

  it("is ready on a migrated database", async () => {
    open = await openPglite();
    expect(await storageState(open.db)).toEqual({ state: "ready" });
  });

  it.each([
    ["a table", sql`drop table routes`],
    ["a column a later migration added", sql`alter table usage_ledger drop column attempts`],
  ])("is not migrated while %s is missing", async (_what, change) => {
    open = await openPglite();
    await open.db.execute(change);
    expect((await storageState(open.db)).state).toBe("not_migrated");
  });
});
