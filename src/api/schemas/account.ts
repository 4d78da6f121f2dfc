// Answers and bodies of the caller's own account routes: usage, API keys, BYOK keys, org settings.
import { z } from "zod";
import { MODEL_ID_MAX, modelIdProblem } from "../../routing/model-id.ts";
import { orgSettingsSchema } from "../../store/repos/orgs.ts";
import { nullableTimestamp, ownerSchema, timestamp } from "./common.ts";
import { credentialSchema } from "../../upstreams/header-rules.ts";
import { ownerRef } from "./upstreams.ts";

const totals = z.object({ requests: z.number().int(), prompt_tokens: z.number().int(), completion_tokens: z.number().int(), cost_microdollars: z.number().int() });

export const usageReport = z.object({
  object: z.literal("usage"),
  owner: ownerSchema,
  since: timestamp,
  balance_microdollars: z.number().int(),
  total: totals,
  by_model: z.array(totals.extend({ model: z.string() })),
  by_day: z.array(totals.extend({ day: z.string().describe("YYYY-MM-DD, UTC") })),
});

export const usageQuery = z.object({
  since: z.string().optional().describe("ISO 8601 date or date-time"),
  days: z.number().int().min(1).max(366).optional().describe("the last N days (default 30)"),
});

const apiKeyFields = { id: z.string(), prefix: z.string(), name: z.string().nullable(), created_at: timestamp };

export const apiKeyView = z.object({ ...apiKeyFields, last_used_at: nullableTimestamp, expires_at: nullableTimestamp, revoked_at: nullableTimestamp });
export const apiKeyList = z.object({ object: z.literal("list"), data: z.array(apiKeyView) });
/** The only answer that ever holds a key's plaintext. */
export const createdApiKey = z.object({ ...apiKeyFields, key: z.string().describe("shown once"), expires_at: nullableTimestamp });

export const createApiKeyBody = z
  .object({
    name: z.string().max(200).optional(),
    expires_at: z.iso.datetime({ offset: true }).optional(),
    // As for custom upstreams: absent = the acting owner; an organization needs its admin role.
    owner: ownerRef.optional(),
  })
  .strict();

export const byokKeyView = z.object({ object: z.literal("byok_key"), provider: z.string(), owner: ownerSchema, api_key_hint: z.string(), created_at: timestamp, updated_at: timestamp });
export const byokKeyList = z.object({ object: z.literal("list"), data: z.array(byokKeyView) });
// `owner` as for custom upstreams: absent = the acting owner; an organization needs its admin role.
export const putByokKeyBody = z.object({ api_key: credentialSchema, owner: ownerRef.optional() }).strict();

const AUTO_MODES_MAX = 32;
const modelId = z
  .string()
  .max(MODEL_ID_MAX)
  .superRefine((id, ctx) => {
    const problem = modelIdProblem(id);
    if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
  })
  .describe("a model id or route/<name>");

/** `auto_model` as a client sends it; `byok_providers` is the server's to compute, so it is refused here. */
export const autoModelBody = z
  .object({
    enabled: z.boolean(),
    fallback_model: modelId,
    routes: z
      .record(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "a mode is a lower-case slug of at most 32 characters (a-z, 0-9, _ and -)"), modelId)
      .refine((r) => Object.keys(r).length <= AUTO_MODES_MAX, `at most ${AUTO_MODES_MAX} modes`)
      .describe("client mode (x-gateway-mode) -> model id or route/<name>"),
  })
  .strict();

// Unknown keys are refused rather than silently dropped: a typo must not look like a policy.
// `auto_model: null` removes it; left out, it stays only while dormant (routes/org-settings.ts).
export const orgSettingsBody = orgSettingsSchema.extend({ auto_model: autoModelBody.nullable().optional() }).strict();
