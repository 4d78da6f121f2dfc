import type { CatalogModel } from "./catalog-cache.ts";
import type { UpstreamModels } from "../store/repos/upstreams.ts";

// A fixed timestamp: `created` is required by the OpenAI shape but means nothing for a catalog entry.
export const CATALOG_CREATED = 1_735_689_600;

const perToken = (perMillion: number | null) => (perMillion === null ? null : perMillion / 1_000_000);

/** A catalog entry in the OpenAI model shape plus the metadata API.md promises. */
export function modelView(m: CatalogModel) {
  return {
    id: m.id,
    object: "model" as const,
    created: CATALOG_CREATED,
    owned_by: m.provider,
    upstream_model: m.upstreamModel,
    context_length: m.contextLength,
    // microdollars per token, as the operator API takes them
    pricing: { input: perToken(m.inputPrice), output: perToken(m.outputPrice) },
    free: m.free,
    enabled: m.enabled,
  };
}

export const declaredModelView = (provider: string, model: string) => ({
  id: `${provider}/${model}`,
  object: "model" as const,
  created: CATALOG_CREATED,
  owned_by: provider,
});

/** A custom upstream's declared models, as `<provider_id>/<model>` entries owned by its owner. */
export function upstreamModelViews(up: UpstreamModels) {
  return up.models.map((m) => ({
    id: `${up.providerId}/${m.id}`,
    object: "model" as const,
    created: CATALOG_CREATED,
    owned_by: up.owner.type === "org" ? `org:${up.owner.id}` : "you",
    name: m.name ?? m.id,
    provider: { id: up.providerId, name: up.displayName, owner: up.owner },
    context_length: m.context_length ?? null,
    pricing: { input: m.input_price ?? null, output: m.output_price ?? null },
    free: false,
  }));
}
