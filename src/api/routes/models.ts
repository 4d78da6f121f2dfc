// GET /v1/models, GET /v1/models/{id} and the operations routes (/healthz, /readyz).
import { actingScope, ownersInScope, readingScope } from "../../access/owners.ts";
import { declaredModelView, modelView, upstreamModelViews } from "../../catalog/model-view.ts";
import { describeError } from "../../http/describe-error.ts";
import { GatewayError } from "../../http/errors.ts";
import type { Container } from "../../container/container.ts";
import type { Caller } from "../../domain/caller.ts";
import { notMigratedError, storageState } from "../../store/readiness.ts";
import { listUpstreamModels } from "../../store/repos/upstreams.ts";
import { anyone, optionalCaller } from "../auth.ts";
import { route } from "../route.ts";
import { modelEntry, modelList, ok, type ModelEntry } from "../schemas/models.ts";
import { addRouteEntries } from "./route-models.ts";

/**
 * What a caller may use: the enabled catalog entries of providers this gateway can reach, for a
 * signed-in caller the models of their own and their organizations' upstreams (both, whichever
 * organization they act for) and the named routes their requests can name. A model declared in
 * GATEWAY_PROVIDERS but not priced in the catalog is served only under pass-through pricing (the
 * catalog rule), so it is listed only then.
 */
async function visibleModels(c: Container, caller: Caller): Promise<ModelEntry[]> {
  const providers = c.targets.providers;
  const catalog = await c.catalog.all();
  const data: ModelEntry[] = [];
  for (const m of catalog.values()) if (providers.has(m.provider)) data.push(modelView(m));
  if (c.targets.passthrough) {
    for (const p of providers.values()) {
      for (const model of p.models) if (!catalog.has(`${p.id}/${model}`)) data.push(declaredModelView(p.id, model));
    }
  }
  if (caller.kind !== "anonymous") {
    for (const up of await listUpstreamModels(c.db, await ownersInScope(c.orgsOf, readingScope(caller)))) data.push(...upstreamModelViews(up));
    addRouteEntries(data, await c.routes.listFor(actingScope(caller)));
  }
  return data;
}

export const listModels = route({
  id: "listModels",
  method: "GET",
  path: "/v1/models",
  summary: "Lists the models the caller can use.",
  tag: "models",
  auth: optionalCaller,
  answer: { status: 200, schema: modelList },
  errors: [],
  async handler({ c, caller }) {
    return { object: "list" as const, data: await visibleModels(c, caller) };
  },
});

/**
 * Ids hold a slash, which clients send raw (`/v1/models/openai/gpt-4o`) or, like the openai SDK,
 * percent-encoded (`/v1/models/openai%2Fgpt-4o`); both mean the same.
 */
export const getModel = route({
  id: "retrieveModel",
  method: "GET",
  path: "/v1/models/{id}",
  restParam: true,
  summary: "One model the caller can use, as the list shows it.",
  tag: "models",
  auth: optionalCaller,
  answer: { status: 200, schema: modelEntry },
  errors: [404],
  async handler({ c, caller, params }) {
    const id = (params.id ?? "").replace(/\/+$/, "");
    const found = id ? (await visibleModels(c, caller)).find((m) => m.id === id) : undefined;
    if (!found) throw new GatewayError(404, "model_not_found", `Model "${id}" does not exist or is not available to this caller; see GET /v1/models.`, "model");
    return found;
  },
});

export const healthz = route({
  id: "healthz",
  method: "GET",
  path: "/healthz",
  summary: "Liveness: answers without touching storage.",
  tag: "operations",
  auth: anyone,
  answer: { status: 200, schema: ok },
  errors: [],
  handler: () => ({ ok: true as const }),
});

export const readyz = route({
  id: "readyz",
  method: "GET",
  path: "/readyz",
  summary: "Readiness: the database answers and has been migrated.",
  tag: "operations",
  auth: anyone,
  answer: { status: 200, schema: ok },
  errors: [503],
  async handler({ c }) {
    const { state, error } = await storageState(c.db);
    if (state === "ready") return { ok: true as const };
    c.logger.warn("readiness check failed", { state, error: describeError(error) });
    if (state === "not_migrated") throw notMigratedError();
    throw new GatewayError(503, "storage_unavailable", "The database is not reachable.");
  },
});
