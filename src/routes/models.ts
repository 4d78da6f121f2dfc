import { identify } from "../auth/identify.ts";
import { declaredModelView, modelView, upstreamModelViews } from "../catalog/model-view.ts";
import { notMigratedError, storageState } from "../db/readiness.ts";
import { listUpstreamModels } from "../db/repos/upstreams.ts";
import { scopeOwners, type OwnerScope } from "../routing/credential-rows.ts";
import type { IRequest } from "itty-router";
import { describeError } from "../http/describe-error.ts";
import { GatewayError } from "../http/errors.ts";
import { json } from "../http/json.ts";
import type { Provider } from "../providers/builtin.ts";
import type { Services } from "../services.ts";

/** A model as GET /v1/models lists it; GET /v1/models/{id} answers the same object. */
type ModelEntry = { id: string } & Record<string, unknown>;

/**
 * What a caller may see: the enabled catalog entries of providers this gateway can reach, the
 * models operators declared with their providers in GATEWAY_PROVIDERS, and for a signed-in
 * caller the models of their own and their organizations' upstreams.
 */
async function visibleModels(request: Request, svc: Services, providers: ReadonlyMap<string, Provider>): Promise<ModelEntry[]> {
  const caller = await identify(request, svc.auth);
  const catalog = await svc.catalog.all();
  const data: ModelEntry[] = [];
  for (const m of catalog.values()) if (providers.has(m.provider)) data.push(modelView(m));
  // A model declared in GATEWAY_PROVIDERS but not priced in the catalog is served only under
  // pass-through pricing (the catalog rule), so it is listed only then.
  if (svc.routes.passthrough) {
    for (const p of providers.values()) {
      for (const model of p.models) if (!catalog.has(`${p.id}/${model}`)) data.push(declaredModelView(p.id, model));
    }
  }
  if (caller.kind !== "anonymous") {
    // Both the caller's own and every organization's they belong to, whichever they act for.
    const scope: OwnerScope = caller.kind === "org" ? { kind: "org", orgId: caller.orgId } : { kind: "user", userId: caller.userId };
    for (const up of await listUpstreamModels(svc.db, await scopeOwners(svc.db, scope))) data.push(...upstreamModelViews(up));
  }
  return data;
}

/** GET /v1/models */
export function listModels(svc: Services, providers: ReadonlyMap<string, Provider>) {
  return async (request: Request) => json({ object: "list", data: await visibleModels(request, svc, providers) });
}

/**
 * GET /v1/models/{id}. Ids hold a slash, which clients send raw (`/v1/models/openai/gpt-4o`) or,
 * like the openai SDK, percent-encoded (`/v1/models/openai%2Fgpt-4o`); both mean the same.
 */
export function getModel(svc: Services, providers: ReadonlyMap<string, Provider>) {
  return async (request: IRequest) => {
    const raw = String(request.params.id ?? "").replace(/\/+$/, "");
    let id: string;
    try {
      id = decodeURIComponent(raw);
    } catch {
      id = raw;
    }
    const found = id ? (await visibleModels(request, svc, providers)).find((m) => m.id === id) : undefined;
    if (!found) throw new GatewayError(404, "model_not_found", `Model "${id}" does not exist or is not available to this caller; see GET /v1/models.`, "model");
    return json(found);
  };
}

export const healthz = () => json({ ok: true });

/** GET /readyz: the database answers and has been migrated. */
export function readyz(svc: Services) {
  return async () => {
    const { state, error } = await storageState(svc.db);
    if (state === "ready") return json({ ok: true });
    svc.logger.warn("readiness check failed", { state, error: describeError(error) });
    if (state === "not_migrated") throw notMigratedError();
    throw new GatewayError(503, "storage_unavailable", "The database is not reachable.");
  };
}
