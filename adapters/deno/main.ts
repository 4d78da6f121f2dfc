// Deno and Deno Deploy entry: Deno.env -> config -> gateway -> Deno.serve.
import { ConfigError, createGateway, parseConfig } from "../../src/index.ts";

let config;
try {
  config = parseConfig(Deno.env.toObject());
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    Deno.exit(1);
  }
  throw err;
}
const gateway = createGateway({ config, fetch: (input, init) => fetch(input, init) });

Deno.serve(
  {
    port: config.PORT,
    hostname: Deno.env.get("HOST") ?? "127.0.0.1",
    onListen: ({ hostname, port }) => console.log(`edgegate (deno) listening on http://${hostname}:${port}`),
  },
  (request) => gateway.fetch(request),
);
