import { z } from "zod";

// Operator API bodies (API.md "Operator API"), validated at the boundary.

const id = z.string().trim().min(1).max(128).regex(/^[A-Za-z0-9._:@-]+$/, "letters, digits and . _ : @ - only");

export const ownerSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("user"), id }),
  z.object({ type: z.literal("org"), id }),
]);

export const createUserBody = z.object({ id: id.optional(), email: z.email().optional() });

export const createOrgBody = z.object({
  id: id.optional(),
  name: z.string().trim().min(1).max(200),
  plan: z.enum(["free", "team", "enterprise"]).optional(),
});

/** Operator PATCH: a new name or plan (a downgrade leaves the settings as they are). */
export const patchOrgBody = z
  .object({ name: createOrgBody.shape.name.optional(), plan: z.enum(["free", "team", "enterprise"]).optional() })
  .strict()
  .refine((b) => b.name !== undefined || b.plan !== undefined, "give `name`, `plan` or both");

export const memberBody = z.object({ role: z.enum(["owner", "admin", "member"]) });

export const adminApiKeyBody = z.object({ owner: ownerSchema, name: z.string().max(200).optional() });

export const creditsBody = z.object({
  owner: ownerSchema,
  amount_microdollars: z.number().int().refine((n) => n !== 0, "must not be zero"),
});

// API.md gives prices in microdollars per token; real prices are fractions of that
// (gpt-4o-mini input: 0.15), so they are stored as integers per million tokens.
const price = z.number().nonnegative().max(1e6).transform((perToken) => Math.round(perToken * 1_000_000));

export const modelBody = z
  .object({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]*\/\S+$/, 'must be "<provider>/<model>"'),
  provider: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/),
  upstream_model: z.string().min(1).optional(),
  context_length: z.number().int().positive().optional(),
  input_price: price.optional(),
  output_price: price.optional(),
  free: z.boolean().optional(),
  enabled: z.boolean().optional(),
  })
  .refine((m) => m.id.startsWith(`${m.provider}/`), { message: "must start with the provider id", path: ["id"] });

// Answers of the operator API.
const userFields = { id: z.string(), email: z.string().nullable(), blocked: z.boolean(), credit_microdollars: z.number().int(), created_at: z.iso.datetime({ offset: true }) };
export const userView = z.object(userFields);
export const orgView = z.object({ id: z.string(), name: z.string(), plan: z.enum(["free", "team", "enterprise"]), credit_microdollars: z.number().int(), created_at: z.iso.datetime({ offset: true }) });
export const memberView = z.object({ org_id: z.string(), user_id: z.string(), role: z.enum(["owner", "admin", "member"]) });
export const pepperView = z.object({ id: z.string(), pepper: z.string() });
export const adminApiKeyView = z.object({ id: z.string(), key: z.string().describe("shown once"), prefix: z.string(), name: z.string().nullable(), created_at: z.iso.datetime({ offset: true }) });
export const balanceView = z.object({ owner: ownerSchema, balance_microdollars: z.number().int() });
const perToken = z.number().nullable().describe("microdollars per token");
export const catalogEntryView = z.object({
  id: z.string(),
  object: z.literal("model"),
  created: z.number().int(),
  owned_by: z.string(),
  upstream_model: z.string(),
  context_length: z.number().int().nullable(),
  pricing: z.object({ input: perToken, output: perToken }),
  free: z.boolean(),
  enabled: z.boolean(),
});
