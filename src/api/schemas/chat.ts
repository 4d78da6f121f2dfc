// POST /v1/chat/completions as documented. The gateway checks only what it acts on (its own
// hand-written parser, dialects/openai-chat/body.ts, runs on the hot path); every other field
// passes through to the upstream untouched, so these schemas are open (loose) objects.
import { z } from "zod";
import { MAX_MODELS } from "../../dialects/openai-chat/body.ts";
import { MODEL_ID_MAX } from "../../routing/model-id.ts";

const message = z.looseObject({
  role: z.string(),
  content: z.union([z.string(), z.array(z.looseObject({ type: z.string() })), z.null()]).optional(),
});

export const chatCompletionRequest = z.looseObject({
  model: z
    .string()
    .min(1)
    .max(MODEL_ID_MAX)
    .optional()
    .describe("`<provider>/<model>` (built-in, catalog or a custom upstream's `<provider_id>/<model>`), `route/<name>`, `auto/org` or `auto`; may be left out when `models` is given"),
  models: z.array(z.string().min(1).max(MODEL_ID_MAX)).min(1).max(MAX_MODELS).optional().describe("fallback candidates, tried in order after `model`; consumed by the gateway, never forwarded"),
  messages: z.array(message).min(1),
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  max_tokens: z.number().int().nullable().optional(),
  max_completion_tokens: z.number().int().nullable().optional(),
});

const usage = z.looseObject({ prompt_tokens: z.number(), completion_tokens: z.number(), total_tokens: z.number().optional() });

export const chatCompletion = z.looseObject({
  id: z.string(),
  object: z.string(),
  created: z.number(),
  model: z.string().describe("the model id the client sent (`model`, else the first of `models`), whichever candidate served"),
  choices: z.array(z.looseObject({ index: z.number(), message: z.looseObject({ role: z.string() }).optional() })),
  usage: usage.nullable().optional(),
});
