import { identify } from "../../auth/identify.ts";
import { declaredModelView, modelView, upstreamModelViews } from "../../catalog/model-view.ts";
import { listUpstreamModels } from "../../store/repos/upstreams.ts";
import { scopeOwners, type OwnerScope } from "../../routing/credential-rows.ts";
import { sql } from "drizzle-orm";
import { describeError } from "../../http/describe-error.ts";
import { GatewayError } from "../../http/errors.ts";
import { json } from "../../http/json.ts";
import type { Provider } from "../../config/providers.ts";
import type { Services } from "../../services.ts";

/**
 * GET /v1/models: the enabled catalog entries of providers this gateway can reach, plus the
 * models operators declared with their providers in GATEWAY_PROVIDERS.
 */
export function listModels(svc: Services, providers: ReadonlyMap<string, Provider>) {
  return async (request: Request) => {
    // Anonymous callers see the public catalog; a signed-in caller also their upstreams' models.
    const caller = await identify(request, svc.auth);
    const catalog = await svc.catalog.all();
    const data: object[] = [];
    for (const m of catalog.values()) if (providers.has(m.provider)) data.push(modelView(m));
    for (const p of providers.values()) {
      for (const model of p.models) if (!catalog.has(`${p.id}/${model}`)) data.push(declaredModelView(p.id, model));
    }
    if (caller.kind !== "anonymous") {
      // Both the caller's own and every organization's they belong to, whichever they act for.
      const scope: OwnerScope = caller.kind === "org" ? { kind: "org", orgId: caller.orgId } : { kind: "user", userId: caller.userId };
      for (const up of await listUpstreamModels(svc.db, await scopeOwners(svc.db, scope))) data.push(...upstreamModelViews(up));
    }
    return json({ object: "list", data });
  };
}

export const healthz = () => json({ ok: true });

/** GET /readyz: the database answers. */
export function readyz(svc: Services) {
  return async () => {
    try {
      await svc.db.execute(sql`select 1`);
      return json({ ok: true });
    } catch (err) {
      svc.logger.warn("readiness check failed", { error: describeError(err) });
      throw new GatewayError(503, "storage_unavailable", "The database is not reachable.");
    }
  };
}
