// The repository suite through drizzle's neon-http driver (what the edge runtimes use), over
// the Neon SQL-over-HTTP stand-in in front of the machine's PostgreSQL (own database).
import { serviceAvailable } from "../../support/services.ts";
import { openNeonOverPostgres } from "./databases.ts";
import { describeRepos } from "./repo-cases.ts";

const pgUp = await serviceAvailable("postgres");

describeRepos("neon-http", () => openNeonOverPostgres("edgegate_repo_neon"), { skip: !pgUp, batches: true });
