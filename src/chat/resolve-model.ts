import type { Caller } from "../auth/caller.ts";
import type { CatalogCache, CatalogModel } from "../catalog/catalog-cache.ts";
import { GatewayError } from "../http/errors.ts";
import type { Provider } from "../providers/builtin.ts";

export interface ResolvedModel {
  provider: Provider;
  /** The id the upstream knows the model by. */
  upstreamModel: string;
  /** The catalog entry, when the operator listed this model (prices, free flag). */
  entry: CatalogModel | undefined;
}

/**
 * Pipeline step "resolve model": the provider from the id, the upstream id and prices from the
 * catalog (cached), and the anonymous rule: without a token only free catalog models answer.
 */
export async function resolveRoute(model: string, caller: Caller, providers: ReadonlyMap<string, Provider>, catalog: CatalogCache): Promise<ResolvedModel> {
  const { provider, upstreamModel } = resolveModel(model, providers);
  const entry = await catalog.get(model);
  if (caller.kind === "anonymous" && !entry?.free) {
    throw new GatewayError(401, "missing_token", `"${model}" needs an API key or token; without one only free models are available (see GET /v1/models).`);
  }
  return { provider, upstreamModel: entry?.upstreamModel ?? upstreamModel, entry };
}

/** `<provider>/<model>`: the provider is everything before the first slash. */
export function resolveModel(model: string, providers: ReadonlyMap<string, Provider>): { provider: Provider; upstreamModel: string } {
  const slash = model.indexOf("/");
  if (slash <= 0 || slash === model.length - 1) {
    throw new GatewayError(404, "model_not_found", `Model "${model}" does not exist. Use "<provider>/<model>"; see GET /v1/models.`, "model");
  }
  const providerId = model.slice(0, slash);
  const provider = providers.get(providerId);
  if (!provider) {
    throw new GatewayError(404, "model_not_found", `Provider "${providerId}" is not available on this gateway.`, "model");
  }
  return { provider, upstreamModel: model.slice(slash + 1) };
}
