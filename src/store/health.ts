import { sql } from "drizzle-orm";
import type { Db } from "./db.ts";

/** One round trip that proves the database answers (readiness). */
export async function ping(db: Db): Promise<void> {
  await db.execute(sql`select 1`);
}
