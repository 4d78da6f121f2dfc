// `npm start` / `npm run start:prod`: the gateway on Node, configured from process.env. Without
// DATABASE_URL it runs on an embedded PGlite in .data/ (created and migrated here), with
// in-memory rate counters. Every start-up failure is one line naming the setting to change.
import { ConfigError, createGateway, parseConfig, storageState, useNeonEndpoint } from "../../src/index.ts";
import { describeError } from "../../src/http/describe-error.ts";
import { enabledProviders } from "../../src/providers/builtin.ts";
import { nodeCountersLine, startBanner } from "./banner.ts";
import { nodeClientIp } from "./client-ip.ts";
import { nodeCounters } from "./counters.ts";
import { describeNodeDb, migrateNodeDb, openNodeDb } from "./db.ts";
import { documentFactory } from "./document-response.ts";
import { nodeHashKey } from "./hash-key.ts";
import { listenFailure } from "./listen-error.ts";
import { serveNode } from "./server.ts";
import { createPooledFetch } from "./transport.ts";

function exitWith(message: string): never {
  console.error(message);
  process.exit(1);
}

function configOrExit<T>(build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (err instanceof ConfigError) exitWith(err.message);
    throw err;
  }
}

const config = configOrExit(() => parseConfig(process.env));
useNeonEndpoint(config);
const dbEnv = { DATABASE_URL: config.DATABASE_URL, NEON_FETCH_ENDPOINT: config.NEON_FETCH_ENDPOINT };
if (config.GATEWAY_MIGRATE_ON_START) {
  await migrateNodeDb(dbEnv).catch((err: unknown) => exitWith(`GATEWAY_MIGRATE_ON_START: migrating ${describeNodeDb(dbEnv)} failed: ${describeError(err)}`));
}
const store = await openNodeDb(dbEnv);
const { counters, kind } = nodeCounters(config);
const gateway = configOrExit(() =>
  createGateway({ config, db: store.db, counters, fetch: createPooledFetch(), document: documentFactory, hashKey: nodeHashKey, clientIp: nodeClientIp }),
);

const host = process.env.HOST ?? "127.0.0.1";
const server = await serveNode(gateway.fetch, config.PORT, host).catch(async (err: unknown) => {
  const line = listenFailure(err, host, config.PORT);
  if (!line) throw err;
  await store.close();
  return exitWith(line);
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    // Stop taking requests, write the usage rows still queued, then let go of the database.
    void server
      .close()
      .then(() => gateway.drain())
      .then(() => store.close())
      .finally(() => process.exit(0));
  });
}

const { state } = await storageState(store.db);
console.log(
  startBanner({
    url: server.url,
    database: describeNodeDb(dbEnv),
    storage: state,
    counters: nodeCountersLine(kind),
    providers: [...enabledProviders(config).keys()],
    operatorApi: config.GATEWAY_ADMIN_TOKEN !== undefined,
  }),
);
