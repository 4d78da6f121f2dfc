// Cloudflare Workers entry: bindings -> config -> gateway. Built once per isolate, rebuilt
// only if the runtime hands over a different env object.
import { createGateway, edgeStorage, parseConfig, type Gateway } from "../../src/index.ts";
import { cloudflareClientIp } from "../../src/policy/client-ip.ts";

interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

type Env = Record<string, unknown>;

let built: { env: Env; gateway: Gateway } | undefined;

/** Worker vars and secrets are strings; anything else (KV, services) is not configuration. */
function stringBindings(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === "string") out[k] = v;
  return out;
}

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    if (built?.env !== env) {
      // A ConfigError thrown here fails the Worker with a message naming the setting.
      const config = parseConfig(stringBindings(env));
      const gateway = createGateway({ config, ...edgeStorage(config, "Cloudflare Workers"), fetch: (input, init) => fetch(input, init), clientIp: cloudflareClientIp });
      built = { env, gateway };
    }
    return built.gateway.fetch(request, ctx);
  },
};
