// The one envelope around every route, the exact-match fast path included: errors answered in the
// one error shape, the request id on every answer, and the request's one outcome emitted when it
// has ended (for a stream, when the stream ends), however it ended.
import type { Container } from "../container/container.ts";
import type { Outcome } from "../domain/outcome.ts";
import type { RequestContext } from "../http/context.ts";
import { describeError } from "../http/describe-error.ts";
import { errorResponse, GatewayError, internalError } from "../http/errors.ts";
import { isNotMigrated } from "../store/pg-error.ts";
import { notMigratedError } from "../store/readiness.ts";

export type Serve<Q extends Request = Request> = (request: Q, rc: RequestContext) => Promise<Response>;

export function wrap<Q extends Request>(routeId: string | null, serve: Serve<Q>, c: Pick<Container, "events" | "logger" | "now">): Serve<Q> {
  const answerError = (err: unknown, rc: RequestContext): Response => {
    if (err instanceof GatewayError) return errorResponse(err);
    // Whichever route met it: a database without the gateway's tables is an operator's step
    // away from working (npm run db:migrate), not an internal error.
    if (isNotMigrated(err)) {
      c.logger.error("database not migrated", { requestId: rc.requestId, route: routeId, error: describeError(err) });
      return errorResponse(notMigratedError());
    }
    c.logger.error("unhandled error", { requestId: rc.requestId, route: routeId, error: describeError(err) });
    return errorResponse(internalError());
  };

  const finish = (request: Request, rc: RequestContext, status: number): void => {
    const outcome: Outcome = {
      requestId: rc.requestId,
      method: request.method,
      route: routeId,
      status,
      startedAt: rc.startedAt,
      endedAt: c.now(),
      caller: rc.caller,
      proxy: rc.proxy,
    };
    if (rc.ended !== null) {
      rc.waitUntil(
        rc.ended.then(() => {
          outcome.endedAt = c.now();
          return c.events.emit("requestEnded", outcome);
        }),
      );
      return;
    }
    const work = c.events.emit("requestEnded", outcome);
    if (work) rc.waitUntil(work);
  };

  return async (request, rc) => {
    let res: Response;
    try {
      res = await serve(request, rc);
    } catch (err) {
      res = answerError(err, rc);
    }
    // Proxied answers name it already (with the rest of their headers, in one go).
    if (!res.headers.has("x-request-id")) res.headers.set("x-request-id", rc.requestId);
    finish(request, rc, res.status);
    return res;
  };
}
