// What the upstream routes answer: never a secret, only hints and header names.
import type { UpstreamSummary } from "../../store/repos/upstreams.ts";

export const upstreamView = (u: UpstreamSummary) => ({
  id: u.id,
  object: "upstream",
  owner: u.owner,
  provider_id: u.providerId,
  display_name: u.displayName,
  base_url: u.baseUrl,
  api_key_hint: u.apiKeyHint,
  extra_headers: Object.fromEntries(u.extraHeaderNames.map((name) => [name, "…"])),
  models: u.models,
  enabled: u.enabled,
  created_at: u.createdAt,
  updated_at: u.updatedAt,
});
