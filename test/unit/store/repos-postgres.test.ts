// The repository suite through node-postgres on the machine's PostgreSQL (own database).
import { serviceAvailable } from "../../support/services.ts";
import { openPostgres } from "./databases.ts";
import { describeRepos } from "./repo-cases.ts";

const pgUp = await serviceAvailable("postgres");

describeRepos("node-postgres", () => openPostgres("edgegate_repo_pg"), { skip: !pgUp, batches: false });
