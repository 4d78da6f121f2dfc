// Vercel Edge Function entry. Vercel exposes project env vars as process.env on the Edge runtime.
import { createGateway, edgeStorage, parseConfig, type Gateway } from "../../src/index.ts";
import { vercelClientIp } from "../../src/policy/client-ip.ts";

export const config = { runtime: "edge" };

interface EdgeContext {
  waitUntil(promise: Promise<unknown>): void;
}

let gateway: Gateway | undefined;

export default function handler(request: Request, context?: EdgeContext): Promise<Response> {
  if (!gateway) {
    const config = parseConfig(process.env);
    gateway = createGateway({ config, ...edgeStorage(config, "Vercel Edge"), fetch: (input, init) => fetch(input, init), clientIp: vercelClientIp });
  }
  return gateway.fetch(request, context);
}
