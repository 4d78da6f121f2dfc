// The routes of the table behind one itty-router, each wrapped (wrap.ts); unknown paths answer
// 404 route_not_found and known paths with another method 405 with `allow`, through the same
// wrap. The chat route is also reachable through an exact-match fast path (gateway.ts).
import { Router, type IRequest, type RouterType } from "itty-router";
import type { Container } from "../container/container.ts";
import type { RequestContext } from "../http/context.ts";
import { operatorApiDisabled } from "../auth/operator-token.ts";
import { GatewayError } from "../http/errors.ts";
import type { Method, Route } from "./route.ts";
import { wrap, type Serve } from "./wrap.ts";

/** itty-router's form of an OpenAPI path: /v1/upstreams/{id} -> /v1/upstreams/:id. */
const ittyPath = (r: Pick<Route, "path" | "restParam">) => {
  const path = r.path.replace(/\{(\w+)\}/g, ":$1");
  // itty-router's greedy form for a last parameter that may hold slashes.
  return r.restParam ? path.replace(/:(\w+)$/, ":$1+") : path;
};

/** A path segment decoded (`openai%2Fgpt-4o-mini` names an alias route); a malformed escape stays as sent and matches nothing. */
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Path parameters as the handlers read them: a plain record of decoded strings (itty-router leaves them encoded). */
function paramsOf(request: IRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.params)) if (typeof v === "string") out[k] = decoded(v);
  return out;
}

type Handler = (request: IRequest, rc: RequestContext) => Promise<Response>;

function add(router: RouterType<IRequest, [RequestContext]>, method: Method, path: string, handler: Handler): void {
  switch (method) {
    case "GET":
      return void router.get(path, handler);
    case "POST":
      return void router.post(path, handler);
    case "PUT":
      return void router.put(path, handler);
    case "PATCH":
      return void router.patch(path, handler);
    case "DELETE":
      return void router.delete(path, handler);
  }
}

export function buildRouter(routes: readonly Route[], c: Container): Serve {
  const router = Router<IRequest, [RequestContext]>();
  for (const r of routes) add(router, r.method, ittyPath(r), wrap(r.id, (request: IRequest, rc) => r.run(request, rc, paramsOf(request), c), c));
  const unmatched = wrap(
    null,
    async (request: Request) => {
      const path = new URL(request.url).pathname;
      // Without GATEWAY_ADMIN_TOKEN every /admin path names the setting that turns it on.
      if (path.startsWith("/admin/") && !c.config.GATEWAY_ADMIN_TOKEN) throw operatorApiDisabled();
      const allowed = router.routes.filter(([method, match]) => method !== "ALL" && match.test(path)).map(([method]) => method);
      if (allowed.length > 0) {
        throw new GatewayError(405, "method_not_allowed", `Method ${request.method} is not allowed on ${path}.`, null, { allow: [...new Set(allowed)].join(", ") });
      }
      throw new GatewayError(404, "route_not_found", `No route for ${request.method} ${path}.`);
    },
    c,
  );
  router.all("*", unmatched);
  return (request, rc) => router.fetch(request, rc);
}
