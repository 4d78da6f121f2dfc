// The gateway on Node, in-process: the same pieces `npm start` wires, on a free port. The
// database is whatever DATABASE_URL says; tests default to an in-memory PGlite.
import { nodeCounters, openNodeDb } from "../../../adapters/node/storage.ts";
import { documentFactory } from "../../../adapters/node/http/document-response.ts";
import { nodeClientIp } from "../../../adapters/node/client-ip.ts";
import { nodeHashKey } from "../../../adapters/node/http/hash-key.ts";
import { serveNode } from "../../../adapters/node/http/server.ts";
import { createPooledFetch } from "../../../adapters/node/http/transport.ts";
import { createGateway, parseConfig, useNeonEndpoint, type Db } from "../../../src/index.ts";

export interface NodeGateway {
  url: string;
  /** The gateway's own database, for tests that check what it recorded. */
  db: Db;
  /** Writes what accounting still holds (queued ledger rows). */
  drain(): Promise<void>;
  close(): Promise<void>;
}

export async function startNode(env: Record<string, string>): Promise<NodeGateway> {
  const config = parseConfig(env);
  useNeonEndpoint(config);
  const store = await openNodeDb({ DATABASE_URL: config.DATABASE_URL ?? "memory://", NEON_FETCH_ENDPOINT: config.NEON_FETCH_ENDPOINT });
  const transport = createPooledFetch();
  const gateway = createGateway({ config, db: store.db, counters: nodeCounters(config).counters, fetch: transport, fast: { document: documentFactory, hashKey: nodeHashKey }, clientIp: nodeClientIp });
  const server = await serveNode(gateway.fetch, 0);
  return {
    url: server.url,
    db: store.db,
    drain: () => gateway.drain(),
    close: async () => {
      await server.close();
      await gateway.drain();
      await transport.close();
      await store.close();
    },
  };
}
