// Self-service custom upstreams (API.md "Self-service API"): /v1/upstreams and /v1/upstreams/{id}.
//   POST /v1/upstreams/{id}/test      GET {base_url}/models with the stored key: {ok, status, latency_ms, error?}
//   POST /v1/upstreams/{id}/discover  the upstream's model list as `models`; with body {"save": true}
//                                     it also becomes the upstream's models metadata (fields the
//                                     owner entered and the upstream does not report are kept).
import type { IRequest } from "itty-router";
import type { Owner } from "../../domain/caller.ts";
import { identify } from "../../auth/identify.ts";
import {
  createUpstream,
  deleteUpstream,
  getSealedUpstream,
  listUpstreams,
  locateUpstream,
  openUpstreamSecrets,
  updateUpstream,
  type UpstreamSummary,
} from "../../store/repos/upstreams.ts";
import { GatewayError } from "../../http/errors.ts";
import { json } from "../../http/json.ts";
import { sqlState, UNIQUE_VIOLATION } from "../../store/pg-error.ts";
import { readJson } from "../../http/read-json.ts";
import { SecretDecryptError } from "../../credentials/index.ts";
import { redactValue, sentSecrets } from "../../proxy/redact.ts";
import type { Services } from "../../services.ts";
import { authorize, readableOwners, requestedOwner, requireSecrets, signedIn, type Access, type SignedIn } from "../../access/owners.ts";
import { checkBaseUrl, checkProviderId, createBody, discoverBody, patchBody } from "../schemas/upstreams.ts";
import { mergeModels, parseModelList, probeModels } from "../../upstreams/probe.ts";
import { upstreamView } from "../views/upstream.ts";

/** A probe report: an upstream's words (error text) never carry back the credentials it was sent. */
const report = (secrets: { apiKey: string; extraHeaders: Record<string, string> }, body: object): Response =>
  json(redactValue(body, sentSecrets(secrets.apiKey, secrets.extraHeaders)));

const notFound = (id: string) => () => new GatewayError(404, "upstream_not_found", `No upstream "${id}".`);

/** Unique provider_id per owner: the database decides, so two concurrent creates cannot both win. */
async function uniqueProviderId<T>(providerId: string | undefined, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (sqlState(err) !== UNIQUE_VIOLATION) throw err;
    throw new GatewayError(409, "upstream_exists", `This owner already has an upstream with provider_id "${providerId ?? ""}".`, "provider_id");
  }
}

export const upstreamRoutes = (svc: Services) => {
  const caller = async (request: IRequest) => signedIn(await identify(request, svc.auth));

  /** The upstream named in the path, once the caller is allowed `access` to it. */
  async function target(request: IRequest, who: SignedIn, access: Access): Promise<UpstreamSummary> {
    const id = request.params.id ?? "";
    const found = await locateUpstream(svc.db, id);
    if (!found) throw notFound(id)();
    await authorize(svc, who, found.owner, access, notFound(id));
    return found;
  }

  /** Key and extra headers of an upstream, opened. */
  async function secretsOf(owner: Owner, id: string) {
    const box = requireSecrets(svc);
    const sealed = await getSealedUpstream(svc.db, owner, id);
    if (!sealed) throw notFound(id)();
    try {
      return await openUpstreamSecrets(box, sealed);
    } catch (err) {
      if (!(err instanceof SecretDecryptError)) throw err;
      throw new GatewayError(503, "secrets_unavailable", "The upstream's stored key cannot be decrypted with the keys in GATEWAY_ENCRYPTION_KEYS; set the key again.");
    }
  }

  return {
    async list(request: IRequest) {
      const owners = await readableOwners(svc, await caller(request));
      const upstreams = await listUpstreams(svc.db, owners);
      return json({ object: "list", data: upstreams.map(upstreamView) });
    },

    async create(request: IRequest) {
      const who = await caller(request);
      const body = await readJson(request, createBody);
      const owner = requestedOwner(who, body.owner);
      await authorize(svc, who, owner, "write", () => new GatewayError(403, "not_org_member", `You are not a member of organization ${owner.id}.`, "owner"));
      const box = requireSecrets(svc);
      checkProviderId(svc, body.provider_id);
      const baseUrl = await checkBaseUrl(svc, body.base_url);
      const created = await uniqueProviderId(body.provider_id, () =>
        createUpstream(svc.db, box, {
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
      svc.invalidateOwner(owner);
      return json(upstreamView(created), 201);
    },

    async get(request: IRequest) {
      return json(upstreamView(await target(request, await caller(request), "read")));
    },

    async update(request: IRequest) {
      const who = await caller(request);
      const found = await target(request, who, "write");
      const body = await readJson(request, patchBody);
      const box = body.api_key !== undefined || body.extra_headers !== undefined ? requireSecrets(svc) : null;
      if (body.provider_id !== undefined) checkProviderId(svc, body.provider_id);
      const baseUrl = body.base_url === undefined ? undefined : await checkBaseUrl(svc, body.base_url);
      const updated = await uniqueProviderId(body.provider_id, () =>
        updateUpstream(svc.db, box, found.owner, found.id, {
          providerId: body.provider_id,
          displayName: body.display_name,
          baseUrl,
          apiKey: body.api_key,
          extraHeaders: body.extra_headers,
          models: body.models,
          enabled: body.enabled,
        }),
      );
      if (!updated) throw notFound(found.id)();
      svc.invalidateOwner(found.owner);
      return json(upstreamView(updated));
    },

    async remove(request: IRequest) {
      const found = await target(request, await caller(request), "write");
      if (!(await deleteUpstream(svc.db, found.owner, found.id))) throw notFound(found.id)();
      svc.invalidateOwner(found.owner);
      return new Response(null, { status: 204 });
    },

    async test(request: IRequest) {
      const found = await target(request, await caller(request), "read");
      const secrets = await secretsOf(found.owner, found.id);
      const probe = await probeModels(svc, found.baseUrl, secrets);
      const { ok, status, latency_ms } = probe;
      return report(secrets, probe.ok ? { ok, status, latency_ms } : { ok, status, latency_ms, error: probe.error });
    },

    async discover(request: IRequest) {
      const who = await caller(request);
      const { save } = await readJson(request, discoverBody);
      const found = await target(request, who, save ? "write" : "read");
      const secrets = await secretsOf(found.owner, found.id);
      const probe = await probeModels(svc, found.baseUrl, secrets);
      const { status, latency_ms } = probe;
      if (!probe.ok) return report(secrets, { ok: false, status, latency_ms, error: probe.error, saved: false });
      const listed = parseModelList(probe.body);
      if (listed === null) return json({ ok: false, status, latency_ms, error: "the upstream's /models answer is not an OpenAI-style model list", saved: false });
      // What the upstream listed is its own words: a model entry quoting a credential is dropped.
      const sent = sentSecrets(secrets.apiKey, secrets.extraHeaders);
      const clean = listed.filter((m) => JSON.stringify(redactValue(m, sent)) === JSON.stringify(m));
      const models = mergeModels(clean, found.models);
      if (save) {
        if (!(await updateUpstream(svc.db, null, found.owner, found.id, { models }))) throw notFound(found.id)();
        svc.invalidateOwner(found.owner);
      }
      return json({ ok: true, status, latency_ms, models, saved: save === true });
    },
  };
};
