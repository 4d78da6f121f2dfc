import { Router, type IRequest } from "itty-router";
import { chatCompletions } from "./chat/handler.ts";
import { consoleLogger, type ExecutionContextLike, type GatewayDeps, type WaitUntil } from "./deps.ts";
import type { RequestContext } from "./http/context.ts";
import { GatewayError, errorResponse, internalError } from "./http/errors.ts";
import { enabledProviders } from "./providers/builtin.ts";
import { STATIC_CATALOG } from "./providers/catalog.ts";
import { healthz, listModels } from "./routes/models.ts";

export interface Gateway {
  fetch(request: Request, ctx?: ExecutionContextLike): Promise<Response>;
}

/** Builds the gateway from platform-specific dependencies; see DESIGN.md "The core". */
export function createGateway(deps: GatewayDeps): Gateway {
  const logger = deps.logger ?? consoleLogger;
  const now = deps.now ?? Date.now;
  const providers = enabledProviders(deps.config, STATIC_CATALOG);
  const background: WaitUntil =
    deps.waitUntil ??
    ((p) => {
      p.catch((err: unknown) => logger.error("background task failed", { error: String(err) }));
    });

  const router = Router<IRequest, [RequestContext]>({
    catch: (err: unknown, _req: IRequest, rc: RequestContext) => {
      if (err instanceof GatewayError) return errorResponse(err);
      logger.error("unhandled error", { requestId: rc.requestId, error: err instanceof Error ? err.stack : String(err) });
      return errorResponse(internalError());
    },
    finally: [
      (res: Response, _req: IRequest, rc: RequestContext) => {
        res.headers.set("x-request-id", rc.requestId);
        return res;
      },
    ],
  });

  router
    .get("/healthz", healthz)
    .get("/v1/models", listModels(providers))
    .post("/v1/chat/completions", chatCompletions({ config: deps.config, fetch: deps.fetch, providers }))
    .all("*", (req: IRequest) => {
      const path = new URL(req.url).pathname;
      const allowed = router.routes
        .filter(([method, match]) => method !== "ALL" && match.test(path))
        .map(([method]) => method);
      if (allowed.length > 0) {
        throw new GatewayError(405, "method_not_allowed", `Method ${req.method} is not allowed on ${path}.`, null, {
          allow: [...new Set(allowed)].join(", "),
        });
      }
      throw new GatewayError(404, "route_not_found", `No route for ${req.method} ${path}.`);
    });

  return {
    fetch(request, ctx) {
      const waitUntil = ctx?.waitUntil ? (p: Promise<unknown>) => ctx.waitUntil?.(p) : background;
      return router.fetch(request, { requestId: crypto.randomUUID(), startedAt: now(), waitUntil });
    },
  };
}
