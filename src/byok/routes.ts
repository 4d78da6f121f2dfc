// Self-service BYOK keys (API.md): GET /v1/byok-keys, PUT/DELETE /v1/byok-keys/{provider}.
// They belong to the acting owner — the user, or with x-gateway-org the organization, whose
// keys only its admins and owners manage (the same rule as gateway API keys).
import type { IRequest } from "itty-router";
import { z } from "zod";
import { identify } from "../auth/identify.ts";
import { deleteByokKey, listByokKeys, putByokKey, type ByokSummary } from "../db/repos/byok.ts";
import { credentialSchema } from "../db/repos/upstreams.ts";
import { GatewayError } from "../http/errors.ts";
import { json } from "../http/json.ts";
import { readJson } from "../http/read-json.ts";
import { BUILTIN_PROVIDER_IDS } from "../providers/builtin.ts";
import { keyOwner } from "../routes/api-keys.ts";
import type { Services } from "../services.ts";
import { authorize, requestedOwner, requireSecrets, signedIn } from "../upstreams/routes/access.ts";
import { ownerRef } from "../upstreams/routes/bodies.ts";

// `owner` as for custom upstreams: absent = the acting owner; an organization needs its admin role.
const putBody = z.object({ api_key: credentialSchema, owner: ownerRef.optional() }).strict();

const view = (k: ByokSummary) => ({
  object: "byok_key",
  provider: k.provider,
  owner: k.owner,
  api_key_hint: k.keyHint,
  created_at: k.createdAt,
  updated_at: k.updatedAt,
});

function builtinProvider(request: IRequest): string {
  const provider = request.params.provider ?? "";
  if (!BUILTIN_PROVIDER_IDS.includes(provider)) {
    throw new GatewayError(400, "invalid_body", `provider: "${provider}" is not a built-in provider (${BUILTIN_PROVIDER_IDS.join(", ")}); register other endpoints as custom upstreams.`, "provider");
  }
  return provider;
}

export const byokRoutes = (svc: Services) => {
  const owner = async (request: IRequest) => keyOwner(await identify(request, svc.auth));
  return {
    async list(request: IRequest) {
      const keys = await listByokKeys(svc.db, await owner(request));
      return json({ object: "list", data: keys.map(view) });
    },

    async put(request: IRequest) {
      const caller = signedIn(await identify(request, svc.auth));
      const provider = builtinProvider(request);
      const body = await readJson(request, putBody);
      const who = requestedOwner(caller, body.owner);
      await authorize(svc, caller, who, "write", () => new GatewayError(403, "not_org_member", `You are not a member of organization ${who.id}.`, "owner"));
      const api_key = body.api_key;
      const saved = await putByokKey(svc.db, requireSecrets(svc), who, provider, api_key);
      svc.invalidateOwner(who);
      return json(view(saved));
    },

    async remove(request: IRequest) {
      const who = await owner(request);
      const provider = builtinProvider(request);
      if (!(await deleteByokKey(svc.db, who, provider))) throw new GatewayError(404, "byok_key_not_found", `No ${provider} key is set.`);
      svc.invalidateOwner(who);
      return new Response(null, { status: 204 });
    },
  };
};
