// The client IP on Deno: the connection's peer address, which Deno.serve hands to the handler
// only (never a header a client could set). Remembered per request for the core to ask for.
import type { ClientIpSource } from "../../src/index.ts";

export function peerAddresses(): { remember(request: Request, info: Deno.ServeHandlerInfo): void; clientIp: ClientIpSource } {
  const peers = new WeakMap<Request, string>();
  return {
    remember(request, info) {
      const addr = info.remoteAddr;
      if (addr.transport === "tcp" || addr.transport === "udp") peers.set(request, addr.hostname);
    },
    clientIp: (request) => peers.get(request) ?? null,
  };
}
