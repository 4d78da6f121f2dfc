import { z } from "zod";
import { ownerSchema } from "./common.ts";

const price = z.number().nullable().describe("microdollars per token");

/** One model as GET /v1/models lists it: the OpenAI shape plus what the gateway knows. */
export const modelEntry = z.looseObject({
  id: z.string(),
  object: z.literal("model"),
  created: z.number().int(),
  owned_by: z.string(),
  upstream_model: z.string().optional(),
  name: z.string().optional(),
  context_length: z.number().int().nullable().optional(),
  pricing: z.object({ input: price, output: price }).optional(),
  free: z.boolean().optional(),
  enabled: z.boolean().optional(),
  provider: z.object({ id: z.string(), name: z.string(), owner: ownerSchema }).optional(),
  route: z.object({ strategy: z.enum(["fallback", "weighted"]) }).optional().describe("a named route (route/<name>), or a model id the operator routes"),
});

export const modelList = z.object({ object: z.literal("list"), data: z.array(modelEntry) });
export type ModelEntry = z.input<typeof modelEntry>;

export const ok = z.object({ ok: z.literal(true) });
