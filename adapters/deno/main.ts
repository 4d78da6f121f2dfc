// Deno and Deno Deploy entry: Deno.env -> config -> gateway -> Deno.serve.
import { ConfigError, createGateway, edgeStorage, parseEdgeConfig } from "../../src/index.ts";
import { peerAddresses } from "./client-ip.ts";

const PLATFORM = "Deno";

let config;
let storage;
try {
  config = parseEdgeConfig(Deno.env.toObject(), PLATFORM);
  storage = edgeStorage(config, PLATFORM);
} catch (err) {
  if (err instanceof ConfigError) {
    // On Deno Deploy this fails the revision's warm-up, so a misconfigured build never gets traffic.
    console.error(err.message);
    Deno.exit(1);
  }
  throw err;
}
const peers = peerAddresses();
const gateway = createGateway({ config, ...storage, fetch: (input, init) => fetch(input, init), clientIp: peers.clientIp });

// Deno Deploy decides where the server listens; locally HOST and PORT do (default 127.0.0.1:8787).
const address = Deno.env.get("DENO_DEPLOY") ? {} : { port: config.PORT, hostname: Deno.env.get("HOST") ?? "127.0.0.1" };

Deno.serve(
  {
    ...address,
    onListen: ({ hostname, port }) => console.log(`edgegate (deno) listening on http://${hostname}:${port}`),
  },
  (request, info) => {
    peers.remember(request, info);
    return gateway.fetch(request);
  },
);
