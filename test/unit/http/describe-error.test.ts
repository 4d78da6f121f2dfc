import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/pglite";
import { expect, it } from "vitest";
import { describeError } from "../../../src/http/describe-error.ts";

it("keeps the statement and the database's reason but never the bound parameters", async () => {
  const db = drizzle({ client: await PGlite.create() });
  const secret = "egk_secret-value-that-must-not-be-logged";
  const err = await db.execute(sql`select ${secret}::int`).catch((e: unknown) => e);
  const line = describeError(err);
  expect(line).toContain("select $1::int");
  expect(line).toContain("22P02");
  expect(line).toContain("1 parameter(s) withheld");
  expect(line).not.toContain(secret);
  // The raw error would have leaked it: the test is only meaningful while that is true.
  expect(String(err)).toContain(secret);
});

it("describes other errors by their stack and non-errors by their text", () => {
  expect(describeError(new TypeError("boom"))).toMatch(/^TypeError: boom\n\s+at /);
  expect(describeError("plain")).toBe("plain");
});
