// A mock OpenAI-compatible upstream on plain node:http, used by every test suite and by the
// benchmark. Behaviour is steered per request by a `mock` object in the body (see steer.ts).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { echoCredentials, respond, sendError, sendText } from "./respond.ts";
import { isObject, planFor } from "./steer.ts";

export interface RecordedRequest {
  method: string;
  path: string;
  /** lower-case names; repeated headers joined with ", " */
  headers: Record<string, string>;
  /** parsed JSON, or the raw text when it is not JSON */
  body: unknown;
  /** the body exactly as received */
  raw: string;
  /** "aborted" if the client closed the connection before the mock finished its response */
  closed: Promise<"completed" | "aborted">;
}

export interface MockLlm {
  url: string;
  baseUrl: string;
  requests: RecordedRequest[];
  reset(): void;
  close(): Promise<void>;
}

export interface MockLlmOptions {
  port?: number;
  host?: string;
  /** keep RecordedRequests (default true); the benchmark turns this off */
  record?: boolean;
  /** when set, requests must carry `authorization: Bearer <apiKey>` */
  apiKey?: string;
}

const MODELS = JSON.stringify({
  object: "list",
  data: [{ id: "mock-model", object: "model", created: 1_700_000_000, owned_by: "mock" }],
});

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on("data", (b: Buffer) => parts.push(b));
    req.on("end", () => resolve(parts.length === 1 ? parts[0]!.toString("utf8") : Buffer.concat(parts).toString("utf8")));
    req.on("error", reject);
  });
}

function parse(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function headerRecord(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

/** Watches the response; a close before the last byte was flushed (and not our own drop) is "aborted". */
function watchClose(res: ServerResponse): { closed: Promise<"completed" | "aborted">; dropped(): void } {
  let deliberate = false;
  const closed = new Promise<"completed" | "aborted">((resolve) => {
    res.once("close", () => resolve(res.writableFinished || deliberate ? "completed" : "aborted"));
  });
  return { closed, dropped: () => (deliberate = true) };
}

export async function startMockLlm(opts: MockLlmOptions = {}): Promise<MockLlm> {
  const record = opts.record ?? true;
  const requests: RecordedRequest[] = [];
  const expectedAuth = opts.apiKey === undefined ? undefined : `Bearer ${opts.apiKey}`;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    const parsed = text === "" ? { ok: false as const } : parse(text);
    const path = (req.url ?? "/").split("?", 1)[0]!;
    const watch = record ? watchClose(res) : undefined;
    if (watch) {
      const body = parsed.ok ? parsed.value : text;
      requests.push({ method: req.method ?? "GET", path, headers: headerRecord(req), body, raw: text, closed: watch.closed });
    }

    if (expectedAuth !== undefined && req.headers.authorization !== expectedAuth) {
      return sendError(res, 401, "Incorrect API key provided.", "invalid_api_key");
    }
    if (req.method === "GET" && path === "/v1/models") return sendText(res, 200, MODELS);
    // Under /echo/v1 the model list quotes the credentials it was sent (discovery must not relay them).
    if (req.method === "GET" && path === "/echo/v1/models") {
      return sendText(res, 200, JSON.stringify({ object: "list", data: [{ id: "mock-model" }, { id: echoCredentials(headerRecord(req)) }, { id: "m", name: req.headers.authorization ?? "" }] }));
    }
    if (req.method === "POST" && path === "/echo/v1/chat/completions" && parsed.ok && isObject(parsed.value)) {
      return respond(res, { ...planFor(parsed.value), echo: "error" }, () => watch?.dropped(), () => headerRecord(req));
    }
    if (req.method !== "POST" || path !== "/v1/chat/completions") {
      return sendError(res, 404, `Unknown route ${req.method} ${path}`, "not_found");
    }
    if (!parsed.ok || !isObject(parsed.value)) {
      return sendError(res, 400, "We could not parse the JSON body of your request.", "invalid_json");
    }
    await respond(res, planFor(parsed.value), () => watch?.dropped(), () => headerRecord(req));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendError(res, 500, "mock internal error", "mock_internal");
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${opts.host && opts.host !== "0.0.0.0" ? opts.host : "127.0.0.1"}:${port}`;

  return {
    url,
    baseUrl: `${url}/v1`,
    requests,
    reset: () => void (requests.length = 0),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
