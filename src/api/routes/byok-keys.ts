// Self-service BYOK keys: GET /v1/byok-keys, PUT/DELETE /v1/byok-keys/{provider}. They belong to
// the acting owner — the user, or with x-gateway-org the organization, whose keys only its admins
// and owners manage (the same rule as gateway API keys) — or to the `owner` a PUT names.
import { authorize, keyManager, requestedOwner } from "../../access/owners.ts";
import { BUILTIN_PROVIDER_IDS } from "../../config/providers.ts";
import { requireSecrets } from "../../credentials/require.ts";
import { GatewayError } from "../../http/errors.ts";
import { deleteByokKey, listByokKeys, type ByokSummary } from "../../store/repos/byok.ts";
import { signedInCaller } from "../auth.ts";
import { route } from "../route.ts";
import { byokKeyList, byokKeyView, putByokKeyBody } from "../schemas/account.ts";
import { empty } from "../schemas/common.ts";
import { saveByokKey } from "../../credentials/byok-keys.ts";

const view = (k: ByokSummary) => ({
  object: "byok_key" as const,
  provider: k.provider,
  owner: k.owner,
  api_key_hint: k.keyHint,
  created_at: k.createdAt.toISOString(),
  updated_at: k.updatedAt.toISOString(),
});

function builtinProvider(params: Readonly<Record<string, string>>): string {
  const provider = params.provider ?? "";
  if (!BUILTIN_PROVIDER_IDS.includes(provider)) {
    throw new GatewayError(400, "invalid_body", `provider: "${provider}" is not a built-in provider (${BUILTIN_PROVIDER_IDS.join(", ")}); register other endpoints as custom upstreams.`, "provider");
  }
  return provider;
}

export const listByokKeysRoute = route({
  id: "listByokKeys",
  method: "GET",
  path: "/v1/byok-keys",
  summary: "Lists the acting owner's own provider keys (hints only).",
  tag: "account",
  auth: signedInCaller,
  answer: { status: 200, schema: byokKeyList },
  errors: [403],
  async handler({ c, caller }) {
    return { object: "list" as const, data: (await listByokKeys(c.db, keyManager(caller))).map(view) };
  },
});

export const putByokKeyRoute = route({
  id: "putByokKey",
  method: "PUT",
  path: "/v1/byok-keys/{provider}",
  summary: "Saves (or replaces) the owner's key for a built-in provider, sealed at rest.",
  tag: "account",
  auth: signedInCaller,
  body: putByokKeyBody,
  answer: { status: 200, schema: byokKeyView },
  errors: [400, 403, 503],
  async handler({ c, caller, params, body: readBody }) {
    const provider = builtinProvider(params);
    const body = await readBody();
    const owner = requestedOwner(caller, body.owner);
    await authorize(c.identities.role, caller, owner, "write", () => new GatewayError(403, "not_org_member", `You are not a member of organization ${owner.id}.`, "owner"));
    const saved = await saveByokKey(c.db, requireSecrets(c.secrets), owner, provider, body.api_key);
    c.events.emit("ownerChanged", owner);
    return view(saved);
  },
});

export const deleteByokKeyRoute = route({
  id: "deleteByokKey",
  method: "DELETE",
  path: "/v1/byok-keys/{provider}",
  summary: "Deletes the acting owner's key for a built-in provider.",
  tag: "account",
  auth: signedInCaller,
  answer: { status: 204, schema: empty },
  errors: [400, 403, 404],
  async handler({ c, caller, params }) {
    const owner = keyManager(caller);
    const provider = builtinProvider(params);
    if (!(await deleteByokKey(c.db, owner, provider))) throw new GatewayError(404, "byok_key_not_found", `No ${provider} key is set.`);
    c.events.emit("ownerChanged", owner);
    return undefined;
  },
});
