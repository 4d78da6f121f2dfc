import type { IRequest } from "itty-router";
import { z } from "zod";
import { actingOwner, type Caller, type Owner } from "../auth/caller.ts";
import { identify } from "../auth/identify.ts";
import { createApiKey, listApiKeys, revokeApiKey } from "../db/repos/api-keys.ts";
import { GatewayError } from "../http/errors.ts";
import { json } from "../http/json.ts";
import { readJson } from "../http/read-json.ts";
import type { Services } from "../services.ts";
import { authorize, requestedOwner, signedIn } from "../upstreams/routes/access.ts";
import { ownerRef } from "../upstreams/routes/bodies.ts";

const createBody = z
  .object({
    name: z.string().max(200).optional(),
    expires_at: z.iso.datetime({ offset: true }).optional(),
    // As for custom upstreams: absent = the acting owner; an organization needs its admin role.
    owner: ownerRef.optional(),
  })
  .strict();

/** Who may manage keys: a signed-in user for themselves, or an admin/owner for their organization. */
export function keyOwner(caller: Caller): Owner {
  if (caller.kind === "anonymous") throw new GatewayError(401, "missing_token", "Sign in with an API key or token first.");
  // A key acting as an organization must not mint more keys: a leaked key could then outlive its revocation.
  if (caller.kind === "org") throw new GatewayError(403, "not_org_admin", "Organization API keys cannot manage keys.");
  if (caller.org && caller.org.role === "member") {
    throw new GatewayError(403, "not_org_admin", "Managing an organization's keys needs its admin or owner role.");
  }
  const owner = actingOwner(caller);
  if (!owner) throw new GatewayError(401, "missing_token", "Sign in with an API key or token first.");
  return owner;
}

export const apiKeyRoutes = (svc: Services) => {
  const deps = svc.auth;
  return {
    async list(request: IRequest) {
      const owner = keyOwner(await identify(request, deps));
      const keys = await listApiKeys(svc.db, owner);
      return json({
        object: "list",
        data: keys.map((k) => ({
          id: k.id,
          prefix: k.prefix,
          name: k.name,
          created_at: k.createdAt,
          last_used_at: k.lastUsedAt,
          expires_at: k.expiresAt,
          revoked_at: k.revokedAt,
        })),
      });
    },

    async create(request: IRequest) {
      const caller = signedIn(await identify(request, deps));
      const body = await readJson(request, createBody);
      // keyOwner only for the acting owner: a member acting for an organization may still ask for their own key.
      const owner = body.owner === undefined ? keyOwner(caller) : requestedOwner(caller, body.owner);
      await authorize(svc, caller, owner, "write", () => new GatewayError(403, "not_org_member", `You are not a member of organization ${owner.id}.`, "owner"));
      const expiresAt = body.expires_at === undefined ? undefined : new Date(body.expires_at);
      if (expiresAt && expiresAt.getTime() <= svc.now()) throw new GatewayError(400, "invalid_body", "expires_at: must be in the future", "expires_at");
      const key = await createApiKey(svc.db, {
        owner,
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(expiresAt ? { expiresAt } : {}),
      });
      // Shown once: only its hash is stored.
      return json({ id: key.id, key: key.key, prefix: key.prefix, name: key.name, created_at: key.createdAt, expires_at: expiresAt ?? null }, 201);
    },

    async revoke(request: IRequest) {
      const owner = keyOwner(await identify(request, deps));
      const id = request.params.id ?? "";
      if (!(await revokeApiKey(svc.db, owner, id))) throw new GatewayError(404, "api_key_not_found", `No API key "${id}".`);
      // This isolate stops accepting it now; others within the cache TTL (30 s).
      svc.identities.forgetAll();
      return new Response(null, { status: 204 });
    },
  };
};
