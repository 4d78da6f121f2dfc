import { Router, type IRequest } from "itty-router";
import { orgRoutes } from "./admin/orgs.ts";
import { accountRoutes } from "./admin/keys-credits-models.ts";
import { operatorApiDisabled, requireOperator } from "./admin/operator-auth.ts";
import { userRoutes } from "./admin/users.ts";
import { byokRoutes } from "./byok/routes.ts";
import { Accountant } from "./accounting/accountant.ts";
import { chatCompletions } from "./chat/handler.ts";
import { consoleLogger, standardDocument, type ExecutionContextLike, type GatewayDeps, type WaitUntil } from "./deps.ts";
import { signalAbortHook, type RequestContext } from "./http/context.ts";
import { describeError } from "./http/describe-error.ts";
import { GatewayError, errorResponse, internalError } from "./http/errors.ts";
import { isNotMigrated } from "./http/pg-error.ts";
import { notMigratedError } from "./db/readiness.ts";
import { Policy } from "./policy/index.ts";
import { apiKeyRoutes } from "./routes/api-keys.ts";
import { orgSettingsRoutes } from "./routes/org-settings.ts";
import { usageRoute } from "./routes/usage.ts";
import { getModel, healthz, listModels, readyz } from "./routes/models.ts";
import { createServices } from "./services.ts";
import { upstreamRoutes } from "./upstreams/routes/index.ts";

export interface Gateway {
  fetch(request: Request, ctx?: ExecutionContextLike): Promise<Response>;
  /** Writes what background work still holds (queued ledger rows); call before shutting down. */
  drain(): Promise<void>;
}

type Handler = (request: IRequest, rc: RequestContext) => Promise<Response> | Response;

const CHAT_PATH = "/v1/chat/completions";

/** The path of an absolute URL without parsing it: after "scheme://host", up to any query. */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start === -1) return "/";
  const end = url.indexOf("?", start);
  return end === -1 ? url.slice(start) : url.slice(start, end);
}

/** Builds the gateway from platform-specific dependencies; see DESIGN.md "The core". */
export function createGateway(deps: GatewayDeps): Gateway {
  const logger = deps.logger ?? consoleLogger;
  const now = deps.now ?? Date.now;
  const svc = createServices(deps.config, deps.db, deps.fetch, logger, now, deps.hashKey);
  const background: WaitUntil =
    deps.waitUntil ??
    ((p) => {
      p.catch((err: unknown) => logger.error("background task failed", { error: describeError(err) }));
    });

  const answerError = (err: unknown, rc: RequestContext): Response => {
    if (err instanceof GatewayError) return errorResponse(err);
    // Whichever route met it: a database without the gateway's tables is an operator's step
    // away from working (npm run db:migrate), not an internal error.
    if (isNotMigrated(err)) {
      logger.error("database not migrated", { requestId: rc.requestId, error: describeError(err) });
      return errorResponse(notMigratedError());
    }
    logger.error("unhandled error", { requestId: rc.requestId, error: describeError(err) });
    return errorResponse(internalError());
  };
  const stampRequestId = (res: Response, rc: RequestContext): Response => {
    // The chat route names it already (with the rest of its headers, in one go).
    if (!res.headers.has("x-request-id")) res.headers.set("x-request-id", rc.requestId);
    return res;
  };
  const router = Router<IRequest, [RequestContext]>({
    catch: (err: unknown, _req: IRequest, rc: RequestContext) => answerError(err, rc),
    finally: [(res: Response, _req: IRequest, rc: RequestContext) => stampRequestId(res, rc)],
  });

  const operator =
    (handler: Handler): Handler =>
    async (request, rc) => {
      await requireOperator(request, deps.config.GATEWAY_ADMIN_TOKEN);
      return handler(request, rc);
    };
  const users = userRoutes(svc);
  const orgs = orgRoutes(svc);
  const accounts = accountRoutes(svc);
  const keys = apiKeyRoutes(svc);
  const upstreams = upstreamRoutes(svc);
  const byok = byokRoutes(svc);
  // Admission (allow-lists, credit, rate limits) and accounting for the chat route.
  const policy = new Policy({ config: deps.config, db: deps.db, counters: deps.counters, logger, now, clientIp: deps.clientIp });
  svc.onInvalidateOwner((owner) => policy.credit.forget(owner));
  const accountant = new Accountant({ db: deps.db, logger, credit: policy.credit, limiter: policy.limiter });
  const orgSettings = orgSettingsRoutes(svc, policy.orgs);
  const chat = chatCompletions({ config: deps.config, svc, fetch: deps.fetch, document: deps.document ?? standardDocument, policy, accountant });
  // The hot route skips the router's URL parsing and route scan; it answers errors the same way.
  const chatFast = async (request: Request, rc: RequestContext): Promise<Response> => {
    let res: Response;
    try {
      res = await chat(request, rc);
    } catch (err) {
      res = answerError(err, rc);
    }
    return stampRequestId(res, rc);
  };

  router
    .get("/healthz", healthz)
    .get("/readyz", readyz(svc))
    .get("/v1/models", listModels(svc, svc.routes.providers))
    .get("/v1/models/:id+", getModel(svc, svc.routes.providers))
    .post("/v1/chat/completions", chat)
    .get("/v1/usage", usageRoute(svc))
    .get("/v1/orgs/:id/settings", orgSettings.get)
    .put("/v1/orgs/:id/settings", orgSettings.put)
    .get("/v1/api-keys", keys.list)
    .post("/v1/api-keys", keys.create)
    .delete("/v1/api-keys/:id", keys.revoke)
    .get("/v1/upstreams", upstreams.list)
    .post("/v1/upstreams", upstreams.create)
    .get("/v1/upstreams/:id", upstreams.get)
    .patch("/v1/upstreams/:id", upstreams.update)
    .delete("/v1/upstreams/:id", upstreams.remove)
    .post("/v1/upstreams/:id/test", upstreams.test)
    .post("/v1/upstreams/:id/discover", upstreams.discover)
    .get("/v1/byok-keys", byok.list)
    .put("/v1/byok-keys/:provider", byok.put)
    .delete("/v1/byok-keys/:provider", byok.remove)
    // Without GATEWAY_ADMIN_TOKEN every /admin path names the setting that turns it on.
    .all("/admin/*", () => {
      if (!deps.config.GATEWAY_ADMIN_TOKEN) throw operatorApiDisabled();
    })
    .post("/admin/users", operator(users.create))
    .delete("/admin/users/:id", operator(users.remove))
    .post("/admin/users/:id/pepper", operator(users.rotatePepper))
    .post("/admin/orgs", operator(orgs.create))
    .delete("/admin/orgs/:id", operator(orgs.remove))
    .put("/admin/orgs/:id/members/:userId", operator(orgs.putMember))
    .delete("/admin/orgs/:id/members/:userId", operator(orgs.removeMember))
    .post("/admin/api-keys", operator(accounts.createApiKey))
    .post("/admin/credits", operator(accounts.addCredits))
    .post("/admin/models", operator(accounts.upsertModel))
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
      const onClientAbort = ctx?.onClientAbort ?? signalAbortHook(request);
      const rc: RequestContext = { requestId: crypto.randomUUID(), startedAt: now(), waitUntil, onClientAbort };
      if (request.method === "POST" && pathOf(request.url) === CHAT_PATH) return chatFast(request, rc);
      return router.fetch(request, rc);
    },
    drain: () => accountant.drain(),
  };
}
