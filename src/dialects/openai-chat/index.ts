// The OpenAI Chat Completions wire format (POST /v1/chat/completions), as a dialect of the proxy.
import type { Dialect } from "../../proxy/dialect.ts";
import { parseChatBody, type ChatRequest } from "./body.ts";
import { estimatePromptTokens, estimateRequestTokens } from "./estimate.ts";
import { relayJson } from "./relay-json.ts";
import { relayStream } from "./relay-stream.ts";
import { upstreamBody, upstreamHeaders } from "./upstream-body.ts";
import { normaliseUpstreamError } from "./upstream-error.ts";

export type { ChatRequest };

export const openAiChat: Dialect<ChatRequest> = {
  upstreamPath: "/chat/completions",
  parse: parseChatBody,
  promptTokens: (chat) => estimatePromptTokens(chat.raw.messages),
  requestTokens: (chat, defaultCompletion) => estimateRequestTokens(chat.raw, defaultCompletion),
  upstreamBody,
  upstreamHeaders,
  relayDocument: relayJson,
  relayStream,
  upstreamError: normaliseUpstreamError,
};
