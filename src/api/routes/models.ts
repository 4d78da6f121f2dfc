// GET /v1/models and the operations routes (/healthz, /readyz).
import { actingScope, ownersInScope, readingScope } from "../../access/owners.ts";
import { declaredModelView, modelView, upstreamModelViews } from "../../catalog/model-view.ts";
import { describeError } from "../../http/describe-error.ts";
import { GatewayError } from "../../http/errors.ts";
import { ping } from "../../store/health.ts";
import { listUpstreamModels } from "../../store/repos/upstreams.ts";
import { anyone, optionalCaller } from "../auth.ts";
import { route } from "../route.ts";
import { modelList, ok } from "../schemas/models.ts";
import { addRouteEntries } from "./route-models.ts";

/**
 * The enabled catalog entries of providers this gateway can reach, the models operators declared
 * with their providers in GATEWAY_PROVIDERS, and for a signed-in caller the models of their own
 * and their organizations' upstreams (both, whichever organization they act for), and the named
 * routes their requests can name.
 */
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
    const providers = c.targets.providers;
    const catalog = await c.catalog.all();
    const data = [];
    for (const m of catalog.values()) if (providers.has(m.provider)) data.push(modelView(m));
    for (const p of providers.values()) {
      for (const model of p.models) if (!catalog.has(`${p.id}/${model}`)) data.push(declaredModelView(p.id, model));
    }
    if (caller.kind !== "anonymous") {
      for (const up of await listUpstreamModels(c.db, await ownersInScope(c.orgsOf, readingScope(caller)))) data.push(...upstreamModelViews(up));
      addRouteEntries(data, await c.routes.listFor(actingScope(caller)));
    }
    return { object: "list" as const, data };
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
  summary: "Readiness: the database answers.",
  tag: "operations",
  auth: anyone,
  answer: { status: 200, schema: ok },
  errors: [503],
  async handler({ c }) {
    try {
      await ping(c.db);
      return { ok: true as const };
    } catch (err) {
      c.logger.warn("readiness check failed", { error: describeError(err) });
      throw new GatewayError(503, "storage_unavailable", "The database is not reachable.");
    }
  },
});
