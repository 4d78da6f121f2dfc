import { openApiRoute } from "./api/openapi.ts";
import { buildRouter } from "./api/router.ts";
import { CHAT_PATH, chatCompletions } from "./api/routes/chat.ts";
import { ROUTES } from "./api/table.ts";
import { wrap } from "./api/wrap.ts";
import { createContainer } from "./container/container.ts";
import type { ExecutionContextLike, GatewayDeps } from "./container/deps.ts";
import type { WaitUntil } from "./domain/runtime.ts";
import { signalAbortHook, type RequestContext } from "./http/context.ts";
import { describeError } from "./http/describe-error.ts";

export interface Gateway {
  fetch(request: Request, ctx?: ExecutionContextLike): Promise<Response>;
  /** Writes what background work still holds (queued ledger rows); call before shutting down. */
  drain(): Promise<void>;
}

/** The path of an absolute URL without parsing it: after "scheme://host", up to any query. */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start === -1) return "/";
  const end = url.indexOf("?", start);
  return end === -1 ? url.slice(start) : url.slice(start, end);
}

/** Builds the gateway from platform-specific dependencies: one container, one route table. */
export function createGateway(deps: GatewayDeps): Gateway {
  const c = createContainer(deps);
  const background: WaitUntil =
    deps.waitUntil ??
    ((p) => {
      p.catch((err: unknown) => c.logger.error("background task failed", { error: describeError(err) }));
    });
  const router = buildRouter([...ROUTES, openApiRoute(ROUTES)], c);
  // The hot route skips the router's URL parsing and route scan; the same wrap answers its errors
  // and emits its outcome.
  const chat = wrap(chatCompletions.id, (request, rc) => chatCompletions.run(request, rc, {}, c), c);

  return {
    fetch(request, ctx) {
      const waitUntil = ctx?.waitUntil ? (p: Promise<unknown>) => ctx.waitUntil?.(p) : background;
      const onClientAbort = ctx?.onClientAbort ?? signalAbortHook(request);
      const rc: RequestContext = { requestId: crypto.randomUUID(), startedAt: c.now(), waitUntil, onClientAbort, caller: null, proxy: null, ended: null };
      if (request.method === "POST" && pathOf(request.url) === CHAT_PATH) return chat(request, rc);
      return router(request, rc);
    },
    drain: () => c.accountant.drain(),
  };
}
