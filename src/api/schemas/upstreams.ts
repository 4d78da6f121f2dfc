// Request bodies of the custom-upstream routes (API.md "Self-service API").
import { z } from "zod";
import { MAX_MODELS } from "../../upstreams/checks.ts";
import { ownerSchema, timestamp } from "./common.ts";
import { credentialSchema, extraHeadersSchema } from "../../upstreams/header-rules.ts";
import { upstreamModelSchema } from "../../upstreams/model-meta.ts";


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


const modelView = upstreamModelSchema;

/** An upstream as the routes answer it: never a secret, only a key hint and header names. */
export const upstreamView = z.object({
  id: z.string(),
  object: z.literal("upstream"),
  owner: ownerSchema,
  provider_id: z.string(),
  display_name: z.string(),
  base_url: z.string(),
  api_key_hint: z.string(),
  extra_headers: z.record(z.string(), z.literal("…")).describe("names only; values are never shown"),
  models: z.array(modelView),
  enabled: z.boolean(),
  created_at: timestamp,
  updated_at: timestamp,
});
export const upstreamList = z.object({ object: z.literal("list"), data: z.array(upstreamView) });

export const probeReport = z.object({ ok: z.boolean(), status: z.number().int().nullable(), latency_ms: z.number(), error: z.string().optional() });
export const discoveryReport = probeReport.extend({ models: z.array(modelView).optional(), saved: z.boolean() });
