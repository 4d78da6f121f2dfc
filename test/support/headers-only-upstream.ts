// An upstream whose streams fail after their headers and before their first chunk, the case the
// mock LLM cannot play (it writes its first chunk with its headers): a chat request under
// /stall/v1 gets 200 event-stream headers and then silence; under /break/v1 the connection is
// closed right after the headers.
import { createServer } from "node:http";

export interface HeadersOnlyUpstream {
  /** Base URLs (…/v1) of the two behaviours. */
  stallBaseUrl: string;
  breakBaseUrl: string;
  /** Chat requests received, by path. */
  requests: string[];
  close(): Promise<void>;
}

export async function startHeadersOnlyUpstream(): Promise<HeadersOnlyUpstream> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0] ?? "/";
    req.resume();
    req.on("end", () => {
      requests.push(path);
      if (req.method !== "POST" || (path !== "/stall/v1/chat/completions" && path !== "/break/v1/chat/completions")) {
        res.writeHead(404, { "content-type": "application/json" });
        return void res.end(JSON.stringify({ error: { message: `Unknown route ${req.method} ${path}`, type: "invalid_request_error", code: "not_found", param: null } }));
      }
      res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
      res.flushHeaders();
      // The headers must reach the gateway before the connection goes.
      if (path.startsWith("/break/")) setTimeout(() => res.socket?.destroy(), 50);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the headers-only upstream has no TCP address");
  const url = `http://127.0.0.1:${address.port}`;
  return {
    stallBaseUrl: `${url}/stall/v1`,
    breakBaseUrl: `${url}/break/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
