// The catalog rule (README "What the operator's key serves"): on the operator's own provider keys
// only enabled catalog entries are served; free ones only when marked free; paid ones only with
// both prices — or, when the operator opted into pass-through pricing, at the cost the upstream
// reports. Anything else is refused with a 4xx that says why, before any upstream is called.
import type { CatalogModel } from "../catalog/catalog-cache.ts";
import type { Charge, UpstreamTarget } from "../domain/target.ts";
import { GatewayError } from "../http/errors.ts";
import type { TargetSources } from "./model-target.ts";

export const disabled = (model: string): GatewayError =>
  new GatewayError(404, "model_not_found", `"${model}" is disabled on this gateway (see GET /v1/models).`, "model");

function chargeOf(entry: CatalogModel | undefined): Charge | null {
  if (entry?.free) return { kind: "free" };
  if (entry && entry.inputPrice !== null && entry.outputPrice !== null) return { kind: "catalog", pricing: { inputPerMillion: entry.inputPrice, outputPerMillion: entry.outputPrice } };
  return null;
}

/** The operator's target for `model`, or the refusal the catalog rule gives. */
export function catalogTarget(model: string, upstreamModel: string, entry: CatalogModel | undefined, src: Pick<TargetSources, "providers" | "builtinBaseUrls" | "passthrough">): UpstreamTarget {
  const providerId = model.slice(0, model.indexOf("/"));
  const provider = src.providers.get(providerId);
  const byokHint = src.builtinBaseUrls.has(providerId) ? ` Save your own key with PUT /v1/byok-keys/${providerId} to use it.` : "";
  if (!provider) throw new GatewayError(404, "model_not_found", `Provider "${providerId}" is not available on this gateway for "${model}".${byokHint}`, "model");
  const charge = chargeOf(entry) ?? (src.passthrough ? { kind: "passthrough" } : null);
  if (charge === null) {
    if (!entry) throw new GatewayError(404, "model_not_found", `"${model}" is not in this gateway's catalog (see GET /v1/models).${byokHint}`, "model");
    throw new GatewayError(403, "model_not_priced", `"${model}" has no price in this gateway's catalog, so it is not served on the gateway's provider key.${byokHint}`, "model");
  }
  return {
    model,
    providerId,
    kind: "builtin",
    baseUrl: provider.baseUrl,
    apiKey: provider.apiKey,
    extraHeaders: {},
    upstreamModel: entry?.upstreamModel ?? upstreamModel,
    charge,
    contextLength: entry?.contextLength ?? null,
    resolvedModel: model,
    guarded: false,
    retry: null,
    health: null,
  };
}
