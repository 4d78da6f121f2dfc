import type { Caller } from "../auth/caller.ts";
import type { CatalogCache, CatalogModel } from "../catalog/catalog-cache.ts";
import { GatewayError } from "../http/errors.ts";
import type { Provider } from "../providers/builtin.ts";

/** Prices in integer microdollars per million tokens (the catalog's storage unit). */
export interface Pricing {
  inputPerMillion: number;
  outputPerMillion: number;
}

/** Where a chat request goes and on whose account: the output of the "resolve model" step. */
export interface ResolvedModel {
  /** What answers: a built-in or operator provider id, or a custom upstream's provider_id. */
  providerId: string;
  kind: "builtin" | "custom";
  /** OpenAI-compatible base URL without a trailing slash (…/v1). */
  baseUrl: string;
  /** The upstream credential (decrypted for BYOK and custom upstreams). Never log it. */
  apiKey: string;
  /** Extra headers of a custom upstream (never authorization or hop-by-hop ones). */
  extraHeaders: Readonly<Record<string, string>>;
  /** The id the upstream knows the model by. */
  upstreamModel: string;
  /** Served with the caller's own key or upstream: the operator's credit is not spent. */
  byok: boolean;
  /** Catalog or custom-upstream prices; null when unknown (then the request is not billed). */
  pricing: Pricing | null;
  /** A free catalog model (anonymous callers allowed, no credit needed). */
  free: boolean;
  /** The catalog entry, when the operator listed this model. */
  entry: CatalogModel | undefined;
  /** A user-supplied base URL: every fetch must go through the SSRF-safe fetch. */
  guarded: boolean;
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
  return {
    providerId: provider.id,
    kind: "builtin",
    baseUrl: provider.baseUrl,
    apiKey: provider.apiKey,
    extraHeaders: {},
    upstreamModel: entry?.upstreamModel ?? upstreamModel,
    byok: false,
    pricing: entry && entry.inputPrice !== null && entry.outputPrice !== null ? { inputPerMillion: entry.inputPrice, outputPerMillion: entry.outputPrice } : null,
    free: entry?.free === true,
    entry,
    guarded: false,
  };
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
