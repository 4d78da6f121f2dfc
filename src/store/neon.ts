// Neon's SQL-over-HTTP driver: every query is one fetch, so it runs on any runtime with fetch
// (Workers, Vercel Edge, Deno Deploy). Where the requests go is neonConfig's business (set by
// whoever owns the process, e.g. tests pointing it at a local stand-in), not this function's.
import { neon } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-http";
import type { Db } from "./db.ts";
import * as schema from "./schema/index.ts";

/** A drizzle database over Neon HTTP for a `postgres(ql)://user:password@host/db` URL. */
export function createNeonDb(url: string): Db {
  return drizzle({ client: neon(url), schema });
}
