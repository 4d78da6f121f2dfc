import { defineConfig } from "drizzle-kit";

// `npm run db:generate` writes SQL migrations from the schema; `npm run db:migrate` applies them.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/store/schema/index.ts",
  out: "./drizzle",
});
