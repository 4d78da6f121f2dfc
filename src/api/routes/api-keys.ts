// Self-service gateway API keys: GET/POST /v1/api-keys, DELETE /v1/api-keys/{id}.
import { authorize, keyManager, requestedOwner } from "../../access/owners.ts";
import { GatewayError } from "../../http/errors.ts";
import { createApiKey } from "../../auth/api-keys.ts";
import { listApiKeys, revokeApiKey } from "../../store/repos/api-keys.ts";
import { signedInCaller } from "../auth.ts";
import { route } from "../route.ts";
import { apiKeyList, createApiKeyBody, createdApiKey } from "../schemas/account.ts";
import { empty } from "../schemas/common.ts";

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

export const listApiKeysRoute = route({
  id: "listApiKeys",
  method: "GET",
  path: "/v1/api-keys",
  summary: "Lists the acting owner's API keys (never their plaintext).",
  tag: "account",
  auth: signedInCaller,
  answer: { status: 200, schema: apiKeyList },
  errors: [403],
  async handler({ c, caller }) {
    const keys = await listApiKeys(c.db, keyManager(caller));
    return {
      object: "list" as const,
      data: keys.map((k) => ({
        id: k.id,
        prefix: k.prefix,
        name: k.name,
        created_at: k.createdAt.toISOString(),
        last_used_at: iso(k.lastUsedAt),
        expires_at: iso(k.expiresAt),
        revoked_at: iso(k.revokedAt),
      })),
    };
  },
});

export const createApiKeyRoute = route({
  id: "createApiKey",
  method: "POST",
  path: "/v1/api-keys",
  summary: "Creates an API key; its plaintext is in this answer only.",
  tag: "account",
  auth: signedInCaller,
  body: createApiKeyBody,
  answer: { status: 201, schema: createdApiKey },
  errors: [400, 403],
  async handler({ c, caller, body: readBody }) {
    const body = await readBody();
    // keyManager only for the acting owner: a member acting for an organization may still ask for their own key.
    const owner = body.owner === undefined ? keyManager(caller) : requestedOwner(caller, body.owner);
    await authorize(c.identities.role, caller, owner, "write", () => new GatewayError(403, "not_org_member", `You are not a member of organization ${owner.id}.`, "owner"));
    const expiresAt = body.expires_at === undefined ? undefined : new Date(body.expires_at);
    if (expiresAt && expiresAt.getTime() <= c.now()) throw new GatewayError(400, "invalid_body", "expires_at: must be in the future", "expires_at");
    const key = await createApiKey(c.db, {
      owner,
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(expiresAt ? { expiresAt } : {}),
    });
    // Shown once: only its hash is stored.
    return { id: key.id, key: key.key, prefix: key.prefix, name: key.name, created_at: key.createdAt.toISOString(), expires_at: iso(expiresAt ?? null) };
  },
});

export const revokeApiKeyRoute = route({
  id: "revokeApiKey",
  method: "DELETE",
  path: "/v1/api-keys/{id}",
  summary: "Revokes an API key (kept for the record).",
  tag: "account",
  auth: signedInCaller,
  answer: { status: 204, schema: empty },
  errors: [403, 404],
  async handler({ c, caller, params }) {
    const id = params.id ?? "";
    if (!(await revokeApiKey(c.db, keyManager(caller), id))) throw new GatewayError(404, "api_key_not_found", `No API key "${id}".`);
    // This isolate stops accepting it now; others within the cache TTL (30 s).
    c.events.emit("keyRevoked", id);
    return undefined;
  },
});
