// The client IP on Workers: Cloudflare sets CF-Connecting-IP on every request and replaces any
// value the client sent, so it is the one header trusted here.
import type { ClientIpSource } from "../../src/index.ts";

export const cloudflareClientIp: ClientIpSource = (request) => request.headers.get("cf-connecting-ip");
