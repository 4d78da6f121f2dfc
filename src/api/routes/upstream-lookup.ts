// What the custom-upstream routes share: finding the upstream a path names, once the caller may
// see (or change) it, and opening its secrets for a probe.
import { authorize, type Access } from "../../access/owners.ts";
import type { Container } from "../../container/container.ts";
import { requireSecrets } from "../../credentials/require.ts";
import { SecretDecryptError } from "../../credentials/index.ts";
import type { SignedIn } from "../../domain/caller.ts";
import type { Owner } from "../../domain/owner.ts";
import { GatewayError } from "../../http/errors.ts";
import { getSealedUpstream, locateUpstream, type UpstreamSummary } from "../../store/repos/upstreams.ts";
import { openUpstreamSecrets } from "../../credentials/upstreams.ts";

export const upstreamNotFound = (id: string) => () => new GatewayError(404, "upstream_not_found", `No upstream "${id}".`);

/** The upstream with this id, once the caller is allowed `access` to it (else 404: ids of others' upstreams are not confirmed). */
export async function upstreamFor(c: Container, caller: SignedIn, id: string, access: Access): Promise<UpstreamSummary> {
  const found = await locateUpstream(c.db, id);
  if (!found) throw upstreamNotFound(id)();
  await authorize(c.identities.role, caller, found.owner, access, upstreamNotFound(id));
  return found;
}

/** Key and extra headers of an upstream, opened. */
export async function upstreamSecrets(c: Container, owner: Owner, id: string): Promise<{ apiKey: string; extraHeaders: Record<string, string> }> {
  const box = requireSecrets(c.secrets);
  const sealed = await getSealedUpstream(c.db, owner, id);
  if (!sealed) throw upstreamNotFound(id)();
  try {
    return await openUpstreamSecrets(box, sealed);
  } catch (err) {
    if (!(err instanceof SecretDecryptError)) throw err;
    throw new GatewayError(503, "secrets_unavailable", "The upstream's stored key cannot be decrypted with the keys in GATEWAY_ENCRYPTION_KEYS; set the key again.");
  }
}

/** An upstream as the routes answer it: never a secret, only hints and header names. */
export const upstreamView = (u: UpstreamSummary) => ({
  id: u.id,
  object: "upstream" as const,
  owner: u.owner,
  provider_id: u.providerId,
  display_name: u.displayName,
  base_url: u.baseUrl,
  api_key_hint: u.apiKeyHint,
  extra_headers: Object.fromEntries(u.extraHeaderNames.map((name) => [name, "…" as const])),
  models: u.models,
  enabled: u.enabled,
  created_at: u.createdAt.toISOString(),
  updated_at: u.updatedAt.toISOString(),
});
