// `npm start` / `npm run start:prod`: the gateway on Node, configured from process.env. Wiring
// only: storage (storage.ts), the HTTP layer (http/), and the gateway between them. Without
// DATABASE_URL it runs on an embedded PGlite in .data/, with in-memory rate counters.
import { createGateway, describeError, enabledProviders, parseConfig, storageState, useNeonEndpoint } from "../../src/index.ts";
import { nodeCountersLine, startBanner } from "./banner.ts";
import { configOrExit, exitWith, stopOnSignals } from "./boot.ts";
import { nodeClientIp } from "./client-ip.ts";
import { createPooledFetch, documentFactory, listenFailure, nodeHashKey, serveNode } from "./http/index.ts";
import { describeNodeDb, migrateNodeDb, nodeCounters, openNodeDb } from "./storage.ts";

const config = configOrExit(() => parseConfig(process.env));
useNeonEndpoint(config);
const dbEnv = { DATABASE_URL: config.DATABASE_URL, NEON_FETCH_ENDPOINT: config.NEON_FETCH_ENDPOINT };
if (config.GATEWAY_MIGRATE_ON_START) {
  await migrateNodeDb(dbEnv).catch((err: unknown) => exitWith(`GATEWAY_MIGRATE_ON_START: migrating ${describeNodeDb(dbEnv)} failed: ${describeError(err)}`));
}
const store = await openNodeDb(dbEnv);
const { counters, kind } = nodeCounters(config);
const fast = { document: documentFactory, hashKey: nodeHashKey };
const gateway = configOrExit(() => createGateway({ config, db: store.db, counters, fetch: createPooledFetch(), fast, clientIp: nodeClientIp }));

const host = process.env.HOST ?? "127.0.0.1";
const server = await serveNode(gateway.fetch, config.PORT, host).catch(async (err: unknown) => {
  const line = listenFailure(err, host, config.PORT);
  if (!line) throw err;
  await store.close();
  return exitWith(line);
});
// Stop taking requests, write the usage rows still queued, then let go of the database.
stopOnSignals(() => server.close().then(() => gateway.drain()).then(() => store.close()));

const { state } = await storageState(store.db);
const providers = [...enabledProviders(config).keys()];
console.log(startBanner({ url: server.url, database: describeNodeDb(dbEnv), storage: state, counters: nodeCountersLine(kind), providers, operatorApi: config.GATEWAY_ADMIN_TOKEN !== undefined }));
