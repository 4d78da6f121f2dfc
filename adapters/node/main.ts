// `npm start`: the gateway on Node, configured from process.env.
import { createGateway, parseConfig, ConfigError } from "../../src/index.ts";
import { serveNode } from "./server.ts";
import { createPooledFetch } from "./transport.ts";

function exitWith(message: string): never {
  console.error(message);
  process.exit(1);
}

let gateway;
let config;
try {
  config = parseConfig(process.env);
  gateway = createGateway({ config, fetch: createPooledFetch() });
} catch (err) {
  if (err instanceof ConfigError) exitWith(err.message);
  throw err;
}

const host = process.env.HOST ?? "127.0.0.1";
const { url } = await serveNode(gateway.fetch, config.PORT, host);
console.log(`edgegate listening on ${url}
  curl ${url}/v1/models
  curl ${url}/v1/chat/completions -H 'content-type: application/json' \\
    -d '{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}'`);
