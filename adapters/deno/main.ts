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
const gateway = createGateway({ config, ...storage, fetch: (input, init) => fetch(input, init) });

Deno.serve(
  {
    port: config.PORT,
    hostname: Deno.env.get("HOST") ?? "127.0.0.1",
    onListen: ({ hostname, port }) => console.log(`edgegate (deno) listening on http://${hostname}:${port}`),
  },
  (request) => gateway.fetch(request),
);
