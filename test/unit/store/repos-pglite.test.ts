// The repository suite on in-memory PGlite, the Node adapter's default database.
import { openPglite } from "./databases.ts";
import { describeRepos } from "./repo-cases.ts";

describeRepos("pglite", openPglite, { batches: false });
