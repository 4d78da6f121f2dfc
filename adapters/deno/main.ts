// Deno and Deno Deploy entry: Deno.env -> config -> gateway -> Deno.serve.
import { ConfigError, createGateway, edgeStorage, parseConfig } from "../../src/index.ts";

let config;
let storage;
try {
  config = parseConfig(Deno.env.toObject());
  storage = edgeStorage(config, "Deno");
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    Deno.exit(1);
  }
  throw err;
}
// The client IP is the connection's peer address, which Deno.serve hands to the handler only.
const peers = new WeakMap<Request, string>();
const gateway = createGateway({ config, ...storage, fetch: (input, init) => fetch(input, init), clientIp: (request) => peers.get(request) ?? null });

Deno.serve(
  {
    port: config.PORT,
    hostname: Deno.env.get("HOST") ?? "127.0.0.1",
    onListen: ({ hostname, port }) => console.log(`edgegate (deno) listening on http://${hostname}:${port}`),
  },
  (request, info) => {
    const addr = info.remoteAddr;
    if (addr.transport === "tcp" || addr.transport === "udp") peers.set(request, addr.hostname);
    return gateway.fetch(request);
  },
);
