// One model id to the one target that serves it for a caller: a custom upstream, a BYOK key, or the
// operator's key under the catalog rule. (Routes and the auto model expand to several: resolve.ts.)
import type { CatalogCache } from "../catalog/catalog-cache.ts";
import type { Provider } from "../config/providers.ts";
import { actingScope } from "../access/owners.ts";
import type { Caller } from "../domain/caller.ts";
import type { UpstreamTarget } from "../domain/target.ts";
import { GatewayError } from "../http/errors.ts";
import { catalogTarget, disabled } from "./catalog-rule.ts";
import type { OpenedUpstream, OwnerCredentials } from "./owner-credentials.ts";
import { splitModel } from "./model-id.ts";

/** Where targets come from: the operator's providers and catalog, and owners' own credentials. */
export interface TargetSources {
  /** GATEWAY_PASSTHROUGH_PRICING: unpriced models are served on the operator's key at the upstream's reported cost. */
  passthrough: boolean;
  /** Providers served with the operator's keys (enabled built-ins and GATEWAY_PROVIDERS). */
  providers: ReadonlyMap<string, Provider>;
  /** Every built-in provider's endpoint, for BYOK keys of providers the operator did not enable. */
  builtinBaseUrls: ReadonlyMap<string, string>;
  catalog: CatalogCache;
  ownerCredentials: OwnerCredentials;
}

/**
 * API.md `model` forms: `<provider_id>/<upstream model>` goes to the caller's enabled custom
 * upstream of that id, else to the built-in provider — with the caller's BYOK key when one is
 * saved, else the operator's, under the catalog rule (catalog-rule.ts). A disabled catalog entry
 * is served to nobody, whatever the route. A saved credential that cannot be opened is an error,
 * never a silent switch to the operator's key. Without a token only free models answer.
 */
export async function modelTarget(model: string, caller: Caller, src: TargetSources): Promise<UpstreamTarget> {
  const { providerId, upstreamModel } = splitModel(model);
  const entry = await src.catalog.get(model);
  if (entry && !entry.enabled) throw disabled(model);
  if (caller.kind === "anonymous") {
    if (!entry?.free) throw new GatewayError(401, "missing_token", `"${model}" needs an API key or token; without one only free models are available (see GET /v1/models).`);
    return catalogTarget(model, upstreamModel, entry, src);
  }

  const owned = await src.ownerCredentials.lookup(actingScope(caller), providerId);
  if (owned.upstream === "unusable") throw unusable(`The saved key of custom upstream "${providerId}" can no longer be decrypted; save it again (PATCH /v1/upstreams/{id}).`);
  if (owned.upstream) return customTarget(model, providerId, upstreamModel, owned.upstream);

  if (owned.byok === "unusable") throw unusable(`Your saved ${providerId} key can no longer be decrypted; save it again (PUT /v1/byok-keys/${providerId}).`);
  const byokBase = src.builtinBaseUrls.get(providerId);
  if (owned.byok && byokBase) {
    return {
      model,
      providerId,
      kind: "builtin",
      baseUrl: byokBase,
      apiKey: owned.byok.apiKey,
      extraHeaders: {},
      upstreamModel: entry?.upstreamModel ?? upstreamModel,
      charge: { kind: "owner" },
      contextLength: entry?.contextLength ?? null,
      resolvedModel: model,
      guarded: false,
      retry: null,
      health: null,
    };
  }
  return catalogTarget(model, upstreamModel, entry, src);
}

const unusable = (message: string) => new GatewayError(503, "upstream_unavailable", message);

function customTarget(model: string, providerId: string, upstreamModel: string, up: OpenedUpstream): UpstreamTarget {
  const meta = up.row.models.find((m) => m.id === upstreamModel);
  return {
    model,
    providerId,
    kind: "custom",
    baseUrl: up.row.baseUrl.replace(/\/+$/, ""),
    apiKey: up.apiKey,
    extraHeaders: up.extraHeaders,
    upstreamModel,
    // The owner pays their own upstream; its declared prices are for display only.
    charge: { kind: "owner" },
    contextLength: meta?.context_length ?? null,
    resolvedModel: model,
    guarded: true,
    retry: null,
    health: null,
  };
}
