import type { Caller } from "../domain/caller.ts";
import type { CatalogCache, CatalogModel } from "../catalog/catalog-cache.ts";
import { GatewayError } from "../http/errors.ts";
import type { Provider } from "../config/providers.ts";
import type { OwnerScope } from "./credential-rows.ts";
import type { OpenedUpstream, OwnerRoutes } from "./owner-credentials.ts";

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
  /** Catalog or custom-upstream prices; null when unknown (BYOK and custom upstreams are not billed). */
  pricing: Pricing | null;
  /** A free catalog model (anonymous callers allowed, no credit needed). */
  free: boolean;
  /**
   * Served on the operator's key without a catalog price because the operator opted into
   * pass-through pricing: billed at the cost the upstream reports.
   */
  passthrough: boolean;
  /** The catalog entry, when the operator listed this model. */
  entry: CatalogModel | undefined;
  /** A user-supplied base URL: every fetch must go through the SSRF-safe fetch. */
  guarded: boolean;
}

export interface RouteSources {
  /** GATEWAY_PASSTHROUGH_PRICING: unpriced models are served on the operator's key, billed at the upstream's reported cost. */
  passthrough: boolean;
  /** Providers served with the operator's keys (enabled built-ins and GATEWAY_PROVIDERS). */
  providers: ReadonlyMap<string, Provider>;
  /** Every built-in provider's endpoint, for BYOK keys of providers the operator did not enable. */
  builtinBaseUrls: ReadonlyMap<string, string>;
  catalog: CatalogCache;
  ownerRoutes: OwnerRoutes;
}

/**
 * Pipeline step "resolve model" (API.md `model` forms): `<provider_id>/<upstream model>` goes to
 * the caller's enabled custom upstream of that id, else to the built-in provider — with the
 * caller's BYOK key when one is saved, else the operator's. A saved credential that cannot be
 * opened is an error, never a silent switch to the operator's key.
 *
 * The catalog rule (README "What the operator's key serves"): on the operator's key only enabled
 * catalog entries are served, free ones only when marked free, paid ones only with both prices
 * (or, opted into, at the upstream's reported cost). BYOK and custom upstreams are not limited by
 * the catalog, but a disabled entry is served to nobody, whatever the route. Without a token only free models answer.
 */
export async function resolveRoute(model: string, caller: Caller, src: RouteSources): Promise<ResolvedModel> {
  const { providerId, upstreamModel } = splitModel(model);
  const entry = await src.catalog.get(model);
  if (entry && !entry.enabled) throw disabled(model);
  if (caller.kind === "anonymous") {
    if (!entry?.free) throw new GatewayError(401, "missing_token", `"${model}" needs an API key or token; without one only free models are available (see GET /v1/models).`);
    return operatorRoute(model, providerId, upstreamModel, entry, src);
  }

  const owned = await src.ownerRoutes.lookup(scopeOf(caller), providerId);
  if (owned.upstream === "unusable") throw unusable(`The saved key of custom upstream "${providerId}" can no longer be decrypted; save it again (PATCH /v1/upstreams/{id}).`);
  if (owned.upstream) return customRoute(providerId, upstreamModel, owned.upstream);

  if (owned.byok === "unusable") throw unusable(`Your saved ${providerId} key can no longer be decrypted; save it again (PUT /v1/byok-keys/${providerId}).`);
  const byokBase = src.builtinBaseUrls.get(providerId);
  if (owned.byok && byokBase) {
    return { ...builtinRoute(providerId, byokBase, owned.byok.apiKey, upstreamModel, entry), byok: true, pricing: null };
  }
  return operatorRoute(model, providerId, upstreamModel, entry, src);
}

/** `<provider>/<model>`: the provider is everything before the first slash. */
export function splitModel(model: string): { providerId: string; upstreamModel: string } {
  const slash = model.indexOf("/");
  if (slash <= 0 || slash === model.length - 1) {
    throw new GatewayError(404, "model_not_found", `Model "${model}" does not exist. Use "<provider>/<model>"; see GET /v1/models.`, "model");
  }
  return { providerId: model.slice(0, slash), upstreamModel: model.slice(slash + 1) };
}

function scopeOf(caller: Exclude<Caller, { kind: "anonymous" }>): OwnerScope {
  if (caller.kind === "org") return { kind: "org", orgId: caller.orgId };
  return caller.org ? { kind: "org", orgId: caller.org.id } : { kind: "user", userId: caller.userId };
}

const unusable = (message: string) => new GatewayError(503, "upstream_unavailable", message);

const disabled = (model: string) => new GatewayError(404, "model_not_found", `"${model}" is disabled on this gateway (see GET /v1/models).`, "model");

/** The operator's own key: the catalog decides what is served and at what price. */
function operatorRoute(model: string, providerId: string, upstreamModel: string, entry: CatalogModel | undefined, src: RouteSources): ResolvedModel {
  const provider = src.providers.get(providerId);
  const byokHint = src.builtinBaseUrls.has(providerId) ? ` Save your own key with PUT /v1/byok-keys/${providerId} to use it.` : "";
  if (!provider) {
    throw new GatewayError(404, "model_not_found", `Provider "${providerId}" is not available on this gateway for "${model}".${byokHint}`, "model");
  }
  const route = builtinRoute(providerId, provider.baseUrl, provider.apiKey, upstreamModel, entry);
  if (route.free || route.pricing !== null) return route;
  if (src.passthrough) return { ...route, passthrough: true };
  if (!entry) {
    throw new GatewayError(404, "model_not_found", `"${model}" is not in this gateway's catalog (see GET /v1/models).${byokHint}`, "model");
  }
  throw new GatewayError(403, "model_not_priced", `"${model}" has no price in this gateway's catalog, so it is not served on the gateway's provider key.${byokHint}`, "model");
}

function builtinRoute(providerId: string, baseUrl: string, apiKey: string, upstreamModel: string, entry: CatalogModel | undefined): ResolvedModel {
  return {
    providerId,
    kind: "builtin",
    baseUrl,
    apiKey,
    extraHeaders: {},
    upstreamModel: entry?.upstreamModel ?? upstreamModel,
    byok: false,
    pricing: entry && entry.inputPrice !== null && entry.outputPrice !== null ? { inputPerMillion: entry.inputPrice, outputPerMillion: entry.outputPrice } : null,
    free: entry?.free === true,
    passthrough: false,
    entry,
    guarded: false,
  };
}

function customRoute(providerId: string, upstreamModel: string, up: OpenedUpstream): ResolvedModel {
  const meta = up.row.models.find((m) => m.id === upstreamModel);
  const perMillion = (price: number | undefined) => (price === undefined ? undefined : Math.round(price * 1_000_000));
  const input = perMillion(meta?.input_price);
  const output = perMillion(meta?.output_price);
  return {
    providerId,
    kind: "custom",
    baseUrl: up.row.baseUrl.replace(/\/+$/, ""),
    apiKey: up.apiKey,
    extraHeaders: up.extraHeaders,
    upstreamModel,
    byok: true,
    pricing: input !== undefined && output !== undefined ? { inputPerMillion: input, outputPerMillion: output } : null,
    free: false,
    passthrough: false,
    entry: undefined,
    guarded: true,
  };
}
