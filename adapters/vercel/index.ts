// Vercel Edge Function entry. Vercel exposes project env vars as process.env on the Edge runtime.
import { ConfigError, createGateway, edgeStorage, misconfiguredResponse, parseEdgeConfig } from "../../src/index.ts";
import { vercelClientIp } from "./client-ip.ts";

export const config = { runtime: "edge" };

interface EdgeContext {
  waitUntil(promise: Promise<unknown>): void;
}

type Handler = (request: Request, context?: EdgeContext) => Promise<Response>;

const PLATFORM = "Vercel Edge";

let handle: Handler | undefined;

function build(): Handler {
  try {
    const config = parseEdgeConfig(process.env, PLATFORM);
    const gateway = createGateway({ config, ...edgeStorage(config, PLATFORM), fetch: (input, init) => fetch(input, init), clientIp: vercelClientIp });
    return (request, context) => gateway.fetch(request, context);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // Logged once per instance; every request then gets the same JSON error naming the settings.
    console.error(err.message);
    return async () => misconfiguredResponse(err);
  }
}

export default function handler(request: Request, context?: EdgeContext): Promise<Response> {
  handle ??= build();
  return handle(request, context);
}
