import { z } from "zod";

/** A custom upstream's `models` metadata (API.md "Custom upstream body"); prices in µ$ per token. */
export const upstreamModelSchema = z.object({
  id: z.string().min(1).max(200),
  name: z.string().max(200).optional(),
  context_length: z.number().int().positive().optional(),
  input_price: z.number().nonnegative().optional(),
  output_price: z.number().nonnegative().optional(),
});

export const upstreamModelsSchema = z.array(upstreamModelSchema).max(1000);

export type UpstreamModel = z.infer<typeof upstreamModelSchema>;
