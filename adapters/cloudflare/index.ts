// Cloudflare Workers entry: bindings -> config -> gateway. Built once per isolate, rebuilt
// only if the runtime hands over a different env object.
import { ConfigError, createGateway, edgeStorage, misconfiguredResponse, parseEdgeConfig } from "../../src/index.ts";
import { cloudflareClientIp } from "./client-ip.ts";

interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

type Env = Record<string, unknown>;
type Handler = (request: Request, ctx: ExecutionContext) => Promise<Response>;

const PLATFORM = "Cloudflare Workers";

let built: { env: Env; handle: Handler } | undefined;

/** Worker vars and secrets are strings; anything else (KV, services) is not configuration. */
function stringBindings(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === "string") out[k] = v;
  return out;
}

function build(env: Env): Handler {
  try {
    const config = parseEdgeConfig(stringBindings(env), PLATFORM);
    const gateway = createGateway({ config, ...edgeStorage(config, PLATFORM), fetch: (input, init) => fetch(input, init), clientIp: cloudflareClientIp });
    return (request, ctx) => gateway.fetch(request, ctx);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // Logged once per isolate; every request then gets the same JSON error naming the settings.
    console.error(err.message);
    return async () => misconfiguredResponse(err);
  }
}

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    if (built?.env !== env) built = { env, handle: build(env) };
    return built.handle(request, ctx);
  },
};
