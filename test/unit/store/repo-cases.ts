// The repository suite, run unchanged on every driver (repos-*.test.ts): the same calls must
// give the same rows, the same JS types (Dates, numbers from bigint columns) and the same
// SQLSTATEs, because the HTTP layer maps 23505 to 409 and 23503 to 404/422 whatever the driver.
// Every case makes its own ids, so cases share one database without seeing each other.
// The cases themselves live in repo-*-cases.ts, one module per topic.
import { afterAll, beforeAll, describe } from "vitest";
import type { OpenDb } from "./databases.ts";
import { apiKeyCases } from "./repo-api-key-cases.ts";
import { billingCases } from "./repo-billing-cases.ts";
import { catalogCases } from "./repo-catalog-cases.ts";
import type { RepoContext, RepoSuiteOptions } from "./repo-fixtures.ts";
import { integrityCases } from "./repo-integrity-cases.ts";
import { ownerCases } from "./repo-owner-cases.ts";

export type { RepoSuiteOptions } from "./repo-fixtures.ts";

export function describeRepos(name: string, open: () => Promise<OpenDb>, opts: RepoSuiteOptions): void {
  describe.skipIf(opts.skip ?? false)(`repositories on ${name}`, () => {
    let opened: OpenDb | undefined;
    const ctx = {} as RepoContext;
    beforeAll(async () => {
      opened = await open();
      ctx.db = opened.db;
    });
    afterAll(async () => {
      await opened?.close();
    });

    ownerCases(ctx);
    billingCases(ctx);
    apiKeyCases(ctx);
    catalogCases(ctx);
    integrityCases(ctx, opts);
  });
}
