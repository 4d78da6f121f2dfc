// Self-service custom upstreams: /v1/upstreams and /v1/upstreams/{id}.
import { authorize, ownersInScope, readingScope, requestedOwner } from "../../access/owners.ts";
import { requireSecrets } from "../../credentials/require.ts";
import { GatewayError } from "../../http/errors.ts";
import { unlessDuplicate } from "../unique.ts";
import { deleteUpstream, listUpstreams } from "../../store/repos/upstreams.ts";
import { checkBaseUrl } from "../../upstreams/checks.ts";
import { isReservedProviderId } from "../../config/providers.ts";
import type { Config } from "../../config/schema.ts";
import { signedInCaller } from "../auth.ts";
import { route } from "../route.ts";
import { empty } from "../schemas/common.ts";
import { createBody, patchBody, upstreamList, upstreamView as upstreamSchema } from "../schemas/upstreams.ts";
import { upstreamFor, upstreamNotFound, upstreamView } from "./upstream-lookup.ts";
import { createUpstream, updateUpstream } from "../../credentials/upstreams.ts";

/** Unique provider_id per owner. */
const uniqueProviderId = <T>(providerId: string | undefined, write: () => Promise<T>): Promise<T> =>
  unlessDuplicate(write, () => new GatewayError(409, "upstream_exists", `This owner already has an upstream with provider_id "${providerId ?? ""}".`, "provider_id"));

const tag = "upstreams";

function checkProviderId(id: string, config: Config): void {
  if (isReservedProviderId(id, config)) {
    throw new GatewayError(400, "invalid_body", `provider_id: "${id}" is reserved by the gateway; use PUT /v1/byok-keys/{provider} for your own key to a built-in provider.`, "provider_id");
  }
}

export const listUpstreamsRoute = route({
  id: "listUpstreams",
  method: "GET",
  path: "/v1/upstreams",
  summary: "Lists the custom upstreams of the caller and of their organizations.",
  tag,
  auth: signedInCaller,
  answer: { status: 200, schema: upstreamList },
  errors: [],
  async handler({ c, caller }) {
    const upstreams = await listUpstreams(c.db, await ownersInScope(c.orgsOf, readingScope(caller)));
    return { object: "list" as const, data: upstreams.map(upstreamView) };
  },
});

export const createUpstreamRoute = route({
  id: "createUpstream",
  method: "POST",
  path: "/v1/upstreams",
  summary: "Registers a custom OpenAI-compatible upstream; its key and header values are sealed at rest.",
  tag,
  auth: signedInCaller,
  body: createBody,
  answer: { status: 201, schema: upstreamSchema },
  errors: [400, 403, 409, 503],
  async handler({ c, caller, body: readBody }) {
    const body = await readBody();
    const owner = requestedOwner(caller, body.owner);
    await authorize(c.identities.role, caller, owner, "write", () => new GatewayError(403, "not_org_member", `You are not a member of organization ${owner.id}.`, "owner"));
    const box = requireSecrets(c.secrets);
    checkProviderId(body.provider_id, c.config);
    const baseUrl = await checkBaseUrl(body.base_url, c.ssrf);
    const created = await uniqueProviderId(body.provider_id, () =>
      createUpstream(c.db, box, {
        owner,
        providerId: body.provider_id,
        displayName: body.display_name,
        baseUrl,
        apiKey: body.api_key,
        extraHeaders: body.extra_headers,
        models: body.models,
        enabled: body.enabled,
      }),
    );
    c.events.emit("ownerChanged", owner);
    return upstreamView(created);
  },
});

export const getUpstreamRoute = route({
  id: "getUpstream",
  method: "GET",
  path: "/v1/upstreams/{id}",
  summary: "Reads one custom upstream.",
  tag,
  auth: signedInCaller,
  answer: { status: 200, schema: upstreamSchema },
  errors: [404],
  async handler({ c, caller, params }) {
    return upstreamView(await upstreamFor(c, caller, params.id ?? "", "read"));
  },
});

export const updateUpstreamRoute = route({
  id: "updateUpstream",
  method: "PATCH",
  path: "/v1/upstreams/{id}",
  summary: "Changes a custom upstream; `extra_headers` replaces the whole set. The owner never changes.",
  tag,
  auth: signedInCaller,
  body: patchBody,
  answer: { status: 200, schema: upstreamSchema },
  errors: [400, 403, 404, 409, 503],
  async handler({ c, caller, params, body: readBody }) {
    const found = await upstreamFor(c, caller, params.id ?? "", "write");
    const body = await readBody();
    const box = body.api_key !== undefined || body.extra_headers !== undefined ? requireSecrets(c.secrets) : null;
    if (body.provider_id !== undefined) checkProviderId(body.provider_id, c.config);
    const baseUrl = body.base_url === undefined ? undefined : await checkBaseUrl(body.base_url, c.ssrf);
    const updated = await uniqueProviderId(body.provider_id, () =>
      updateUpstream(c.db, box, found.owner, found.id, {
        providerId: body.provider_id,
        displayName: body.display_name,
        baseUrl,
        apiKey: body.api_key,
        extraHeaders: body.extra_headers,
        models: body.models,
        enabled: body.enabled,
      }),
    );
    if (!updated) throw upstreamNotFound(found.id)();
    c.events.emit("ownerChanged", found.owner);
    return upstreamView(updated);
  },
});

export const deleteUpstreamRoute = route({
  id: "deleteUpstream",
  method: "DELETE",
  path: "/v1/upstreams/{id}",
  summary: "Removes a custom upstream and its sealed secrets.",
  tag,
  auth: signedInCaller,
  answer: { status: 204, schema: empty },
  errors: [403, 404],
  async handler({ c, caller, params }) {
    const found = await upstreamFor(c, caller, params.id ?? "", "write");
    if (!(await deleteUpstream(c.db, found.owner, found.id))) throw upstreamNotFound(found.id)();
    c.events.emit("ownerChanged", found.owner);
    return undefined;
  },
});
