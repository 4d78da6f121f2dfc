// What `npm start` (and `npm run dev:*`) prints once it listens: where the data and counters
// live, what is not set up yet and which setting fixes it, and a first call to try. Variable
// names match README.md.
import type { StorageState } from "../../src/index.ts";

export interface StartFacts {
  url: string;
  /** Which runtime serves, when it is not plain Node (the dev:* scripts). */
  runtime?: string;
  /** describeNodeDb: "embedded PGlite in .data/pglite", "PostgreSQL at host:5432/db", … */
  database: string;
  storage: StorageState;
  /** Where the rate counters live (nodeCounters for Node). */
  counters: string;
  /** Enabled provider ids (built-in ones with a key, and GATEWAY_PROVIDERS). */
  providers: readonly string[];
  operatorApi: boolean;
}

const PROVIDER_KEYS = "OPENAI_API_KEY, OPENROUTER_API_KEY, GROQ_API_KEY or TOGETHER_API_KEY (or GATEWAY_PROVIDERS)";

function databaseLine(f: StartFacts): string {
  switch (f.storage) {
    case "ready":
      return f.database;
    case "not_migrated":
      return `${f.database}, NOT MIGRATED: run \`npm run db:migrate\` with the same DATABASE_URL, or restart with GATEWAY_MIGRATE_ON_START=true (until then requests answer 503 storage_not_migrated)`;
    case "unreachable":
      return `${f.database}, NOT REACHABLE yet (/readyz answers 503 until it is; check DATABASE_URL)`;
  }
}

export function startBanner(f: StartFacts): string {
  const lines = [
    `edgegate${f.runtime ? ` (${f.runtime})` : ""} listening on ${f.url}`,
    `  database       ${databaseLine(f)}`,
    `  rate counters  ${f.counters}`,
    `  providers      ${f.providers.length > 0 ? f.providers.join(", ") : `NONE: no provider key is set, so chat completions have nowhere to go; set ${PROVIDER_KEYS}`}`,
    `  operator API   ${f.operatorApi ? "on (authorization: Bearer $GATEWAY_ADMIN_TOKEN)" : "OFF: set GATEWAY_ADMIN_TOKEN (16 characters or more) to turn it on; /admin/* answers 404 operator_api_disabled until then"}`,
    `Try it:`,
    `  curl ${f.url}/v1/models`,
    `  curl ${f.url}/v1/chat/completions -H "authorization: Bearer $KEY" \\`,
    `    -d '{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}'`,
    `  (README.md, "Users, keys and the first call", sets up a user, credit, the model and $KEY)`,
  ];
  return lines.join("\n");
}

export const nodeCountersLine = (kind: "memory" | "upstash") =>
  kind === "upstash" ? "Upstash (UPSTASH_REDIS_REST_URL)" : "this process's memory (set UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN to share them between processes)";
