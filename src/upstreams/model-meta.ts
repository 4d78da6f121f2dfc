import { z } from "zod";

/** One model of a custom upstream, as its owner declared it; prices in microdollars per token (may be fractional). */
export const upstreamModelSchema = z.object({
  id: z.string().min(1).max(256),
  name: z.string().max(256).optional(),
  context_length: z.number().int().positive().optional(),
  input_price: z.number().nonnegative().optional(),
  output_price: z.number().nonnegative().optional(),
});
export const upstreamModelsSchema = z.array(upstreamModelSchema);
export type UpstreamModel = z.output<typeof upstreamModelSchema>;
