// The client IP on Node: the socket's peer address, never a header a client could set. Behind a
// reverse proxy this is the proxy's address — run one gateway per proxy, or put the limits there.
import type { ClientIpSource } from "../../src/index.ts";
import { NodeRequest } from "./http/request.ts";

export const nodeClientIp: ClientIpSource = (request) => (request instanceof NodeRequest ? request.remoteAddress : null);
