// Shared pieces of the repository suite (repo-cases.ts and its *-cases.ts parts): the live
// database of the driver under test, the SQLSTATE a query failed with, and row builders.
import { count, eq } from "drizzle-orm";
import type { Owner } from "../../../src/domain/caller.ts";
import type { Db } from "../../../src/store/db.ts";
import { newId } from "../../../src/store/ids.ts";
import type { UsageRow } from "../../../src/store/repos/ledger.ts";
import { createOrg } from "../../../src/store/repos/orgs.ts";
import { createUser } from "../../../src/store/repos/users.ts";
import { apiKeys, usageLedger } from "../../../src/store/schema/index.ts";
import { sqlState } from "../../../src/store/pg-error.ts";

export const CHECK_VIOLATION = "23514";

export interface RepoSuiteOptions {
  /** Skip the whole suite (the service is down; serviceAvailable has said why). */
  skip?: boolean;
  /** Whether the driver has `batch` (neon-http), i.e. which path `atomically` takes. */
  batches: boolean;
}

/** The database the suite runs on: set by its beforeAll, read by each case when it runs. */
export interface RepoContext {
  db: Db;
}

/** The SQLSTATE the query failed with; "resolved" when it did not fail. */
export async function failure(query: PromiseLike<unknown>): Promise<string> {
  try {
    await query;
  } catch (err) {
    return sqlState(err) ?? `no SQLSTATE in ${String(err)}`;
  }
  return "resolved";
}

export const userOwner = (id: string): Owner => ({ type: "user", id });
export const orgOwner = (id: string): Owner => ({ type: "org", id });

export const usage = (owner: Owner, over: Partial<UsageRow> = {}): UsageRow => ({
  requestId: newId("req"),
  owner,
  model: "openai/gpt-4o-mini",
  provider: "openai",
  upstreamModel: "gpt-4o-mini",
  byok: false,
  promptTokens: 10,
  completionTokens: 5,
  estimated: false,
  costMicrodollars: 100,
  status: 200,
  latencyMs: 50,
  ...over,
});

/** Owners and row counts on the context's database, read when called (inside a test). */
export function repoHelpers(ctx: RepoContext) {
  const newUser = async (email?: string) => (await createUser(ctx.db, { email })).id;
  const newOrg = async () => (await createOrg(ctx.db, { name: "Acme" })).id;
  const rowsOf = async (table: typeof apiKeys | typeof usageLedger, ownerUserId: string) => {
    const [row] = await ctx.db.select({ n: count() }).from(table).where(eq(table.ownerUserId, ownerUserId));
    return row?.n;
  };
  return { newUser, newOrg, rowsOf };
}
