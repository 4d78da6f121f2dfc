// `npm start`: the gateway on Node, configured from process.env. Without DATABASE_URL it runs
// on an embedded PGlite in .data/ (created and migrated here), with in-memory rate counters.
import { ConfigError, createGateway, parseConfig, useNeonEndpoint } from "../../src/index.ts";
import { nodeClientIp } from "./client-ip.ts";
import { nodeCounters } from "./counters.ts";
import { openNodeDb } from "./db.ts";
import { documentFactory } from "./document-response.ts";
import { nodeHashKey } from "./hash-key.ts";
import { serveNode } from "./server.ts";
import { createPooledFetch } from "./transport.ts";

function exitWith(message: string): never {
  console.error(message);
  process.exit(1);
}

let config;
try {
  config = parseConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) exitWith(err.message);
  throw err;
}

useNeonEndpoint(config);
const store = await openNodeDb({ DATABASE_URL: config.DATABASE_URL, NEON_FETCH_ENDPOINT: config.NEON_FETCH_ENDPOINT });
const { counters, kind } = nodeCounters(config);
const gateway = createGateway({ config, db: store.db, counters, fetch: createPooledFetch(), fast: { document: documentFactory, hashKey: nodeHashKey }, clientIp: nodeClientIp });

const host = process.env.HOST ?? "127.0.0.1";
const { url, close } = await serveNode(gateway.fetch, config.PORT, host);
console.log(`edgegate listening on ${url}  (database: ${store.kind}, rate counters: ${kind})
  curl ${url}/v1/models
  curl ${url}/v1/chat/completions -H 'content-type: application/json' -H "authorization: Bearer $EDGEGATE_KEY" \\
    -d '{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}'
  (create a user and an API key with the operator API first: see README.md)`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    // Stop taking requests, write the usage rows still queued, then let go of the database.
    void close()
      .then(() => gateway.drain())
      .then(() => store.close())
      .finally(() => process.exit(0));
  });
}
