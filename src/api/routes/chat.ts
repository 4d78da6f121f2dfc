// POST /v1/chat/completions: parse -> identify -> resolve -> forward (admit each candidate, call,
// fail over before the first byte, relay) -> the outcome is accounted in the background.
import { openAiChat } from "../../dialects/openai-chat/index.ts";
import { readBodyText } from "../../http/read-body.ts";
import { resolveRequest } from "../../routing/resolve.ts";
import { optionalCaller } from "../auth.ts";
import { route } from "../route.ts";
import { chatCompletion, chatCompletionRequest } from "../schemas/chat.ts";

export const CHAT_PATH = "/v1/chat/completions";

/** A steering header's value (x-gateway-task-id, x-gateway-mode), or null when absent or unreasonably long. */
function steering(request: Request, name: string): string | null {
  const value = request.headers.get(name)?.trim();
  return value && value.length <= 256 ? value : null;
}

export const chatCompletions = route({
  id: "createChatCompletion",
  method: "POST",
  path: CHAT_PATH,
  summary: "Creates a chat completion (OpenAI-compatible), streamed as Server-Sent Events when `stream` is true.",
  tag: "chat",
  auth: optionalCaller,
  body: chatCompletionRequest,
  answer: { status: 200, schema: chatCompletion, stream: true },
  // An upstream error with a usable body keeps its status (dialects/openai-chat/upstream-error.ts),
  // so any 4xx or 5xx may come back besides the gateway's own.
  errors: [400, 402, 403, 404, 413, 429, 502, 503, 504, "4XX", "5XX"],
  async handler({ request, rc, c, caller }) {
    // The hand-written parser, not the documented schema: it runs on every request.
    const chat = openAiChat.parse(await readBodyText(request, c.config.GATEWAY_MAX_BODY_BYTES));
    const ctx = { caller, taskId: steering(request, "x-gateway-task-id"), mode: steering(request, "x-gateway-mode")?.toLowerCase() ?? null, waitUntil: rc.waitUntil };
    const { targets, skipped } = await resolveRequest(chat.models, ctx, c.resolve);
    if (caller.kind !== "anonymous" && caller.apiKeyId) c.keyUse.touch(caller.apiKeyId, rc.waitUntil);
    return c.forward({ dialect: openAiChat, request: chat, http: request, caller, targets, skipped, rc });
  },
});
