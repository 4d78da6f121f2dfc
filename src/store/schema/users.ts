import { bigint, boolean, pgTable, text, timestamp } from "drizzle-orm/pg-core";

export const users = pgTable("users", {
  id: text("id").primaryKey(),
  email: text("email").unique(),
  /** When set, a user's JWTs must carry it in their `pepper` claim; rotating it revokes them all. */
  apiTokenPepper: text("api_token_pepper"),
  blocked: boolean("blocked").notNull().default(false),
  /** May go below zero: usage is debited after the response, when its cost is known. */
  creditMicrodollars: bigint("credit_microdollars", { mode: "number" }).notNull().default(0),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});
