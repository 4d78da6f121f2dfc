// Shapes several routes share.
import { z } from "zod";

export const ownerSchema = z.discriminatedUnion("type", [z.object({ type: z.literal("user"), id: z.string() }), z.object({ type: z.literal("org"), id: z.string() })]);

/** Timestamps are answered as ISO 8601 text. */
export const timestamp = z.iso.datetime({ offset: true });
export const nullableTimestamp = timestamp.nullable();

/** The one error shape every route answers failures in. */
export const errorBody = z.object({
  error: z.object({ message: z.string(), type: z.string(), code: z.string().nullable(), param: z.string().nullable() }),
});

export const empty = z.undefined();
