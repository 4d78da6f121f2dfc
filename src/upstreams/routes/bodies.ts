// Request bodies of the custom-upstream routes (API.md "Self-service API").
import { z } from "zod";
import { credentialSchema, extraHeadersSchema, upstreamModelSchema } from "../../db/repos/upstreams.ts";
import { GatewayError } from "../../http/errors.ts";
import { BUILTIN_PROVIDER_IDS } from "../../providers/builtin.ts";
import type { Services } from "../../services.ts";
import { checkUpstreamUrlWithDns } from "../ssrf.ts";

export const MAX_MODELS = 1000;

/** `owner` in a self-service body: the caller, or an organization they administer. */
export const ownerRef = z.discriminatedUnion("type", [
  z.object({ type: z.literal("user"), id: z.string().min(1).max(200).optional() }).strict(),
  z.object({ type: z.literal("org"), id: z.string().min(1).max(200) }).strict(),
]);

const providerId = z
  .string()
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, "must be a lower-case slug (a-z, 0-9, _ and -, starting with a letter or digit)");

export const modelsBody = z
  .array(upstreamModelSchema.strict()) // strict here, in bodies only: stored rows are read leniently
  .max(MAX_MODELS)
  .superRefine((models, ctx) => {
    const seen = new Set<string>();
    models.forEach((m, i) => {
      if (seen.has(m.id)) ctx.addIssue({ code: "custom", message: `model id "${m.id}" is listed twice`, path: [i, "id"] });
      seen.add(m.id);
    });
  });

const fields = {
  provider_id: providerId,
  display_name: z.string().trim().min(1).max(200),
  base_url: z.string().trim().min(1).max(2048),
  api_key: credentialSchema,
  models: modelsBody,
  enabled: z.boolean(),
};

// Bodies are strict: a field the gateway does not know (a typo, an `ownr`) is refused, never
// silently dropped, so nothing is saved other than what was asked.
export const createBody = z
  .object({
    owner: ownerRef.optional(),
    ...fields,
    extra_headers: extraHeadersSchema.optional(),
    models: fields.models.optional(),
    enabled: fields.enabled.optional(),
  })
  .strict();

/** PATCH: any subset; `extra_headers` replaces the whole set (null or {} removes them). The owner never changes. */
export const patchBody = z
  .object({
    provider_id: fields.provider_id.optional(),
    display_name: fields.display_name.optional(),
    base_url: fields.base_url.optional(),
    api_key: fields.api_key.optional(),
    extra_headers: extraHeadersSchema.nullable().optional(),
    models: fields.models.optional(),
    enabled: fields.enabled.optional(),
  })
  .strict();

/** `{"save": true}` stores what discovery found as the upstream's models metadata. */
export const discoverBody = z.object({ save: z.boolean().optional() }).strict();

/**
 * A provider_id that shadows one the gateway already serves (or a reserved model form) would make
 * `<provider>/<model>` ambiguous.
 */
export function checkProviderId(svc: Services, id: string): void {
  const taken = id === "auto" || BUILTIN_PROVIDER_IDS.includes(id) || svc.config.GATEWAY_PROVIDERS.some((p) => p.id === id);
  if (taken) {
    throw new GatewayError(400, "invalid_body", `provider_id: "${id}" is reserved by the gateway; use PUT /v1/byok-keys/{provider} for your own key to a built-in provider.`, "provider_id");
  }
}

/** The base URL as stored (no trailing slash), after the SSRF check (with DNS when configured). */
export async function checkBaseUrl(svc: Services, raw: string): Promise<string> {
  const unsafe = (why: string) => new GatewayError(400, "unsafe_upstream_url", `base_url is not allowed: ${why}.`, "base_url");
  const verdict = await checkUpstreamUrlWithDns(raw, svc.ssrf);
  if (!verdict.ok) throw unsafe(verdict.reason);
  if (verdict.url.search !== "" || verdict.url.hash !== "") {
    throw new GatewayError(400, "invalid_body", "base_url: must not have a query or fragment (paths such as /models are appended to it)", "base_url");
  }
  return raw.replace(/\/+$/, "");
}
