// The whole database schema: drizzle-kit generates migrations from this file, and every
// driver (neon-http, PGlite, node-postgres) is built with it.
export { apiKeys } from "./api-keys.ts";
export { byokKeys } from "./byok.ts";
export { catalogModels } from "./catalog.ts";
export { usageLedger } from "./ledger.ts";
export { organizations, orgMemberships, PLANS, ROLES } from "./organizations.ts";
export { namedRoutes } from "./routes.ts";
export { customUpstreams } from "./upstreams.ts";
export { users } from "./users.ts";
