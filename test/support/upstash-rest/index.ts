// A local stand-in for Upstash Redis's REST API, backed by a real Redis, so the unmodified
// @upstash/redis and @upstash/ratelimit clients can run in tests. Wire shapes are those the
// client sources (@upstash/redis 1.39, @upstash/ratelimit 2.2) send and expect.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { Redis } from "ioredis";
import { CommandError, parseCommand, prepare, type Prepared } from "./commands.ts";
import { runMulti, runPipeline, TransportError, type Outcome } from "./execute.ts";
import { encodeReply } from "./reply.ts";
import { ScriptShas } from "./scripts.ts";

export interface UpstashStandIn {
  url: string;
  token: string;
  /** Redis commands executed so far; pipeline and transaction items count individually. */
  commands: number;
  close(): Promise<void>;
}

export interface UpstashRestOptions {
  redisUrl?: string;
  token?: string;
  port?: number;
}

type Route = "single" | "pipeline" | "multi-exec";
const ROUTES: Record<string, Route> = { "/": "single", "/pipeline": "pipeline", "/multi-exec": "multi-exec" };

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new CommandError("ERR request body is not valid JSON");
  }
}

function toJson(outcome: Outcome, base64: boolean): { result: unknown } | { error: string } {
  return outcome.ok ? { result: encodeReply(outcome.reply, base64) } : { error: outcome.error };
}

export async function startUpstashRest(opts: UpstashRestOptions = {}): Promise<UpstashStandIn> {
  const token = opts.token ?? randomBytes(16).toString("hex");
  // Fail fast in tests instead of queueing commands forever while Redis is down.
  const redis = new Redis(opts.redisUrl ?? "redis://127.0.0.1:6379", { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on("error", () => {
    // Connection errors also reject the affected commands, which answer 500; without a
    // listener ioredis would crash the process on an 'error' event.
  });
  await redis.connect();
  const scripts = new ScriptShas();
  let commands = 0;

  async function handle(route: Route, body: unknown, base64: boolean): Promise<[number, unknown]> {
    if (route === "single") {
      const p = prepare(parseCommand(body), scripts);
      commands += 1;
      const [outcome] = await runPipeline(redis, [p]);
      if (outcome === undefined) throw new TransportError("missing result");
      return outcome.ok ? [200, toJson(outcome, base64)] : [400, { error: outcome.error }];
    }
    if (!Array.isArray(body) || body.length === 0) {
      throw new CommandError("ERR a pipeline must be a non-empty JSON array of commands");
    }
    if (route === "multi-exec") {
      // A bad item rejects the whole transaction up front, as Redis's EXECABORT would.
      const items: Prepared[] = body.map((raw: unknown) => prepare(parseCommand(raw), scripts));
      commands += items.length;
      return [200, (await runMulti(redis, items)).map((o) => toJson(o, base64))];
    }
    const items = body.map((raw: unknown): Prepared | CommandError => {
      try {
        return prepare(parseCommand(raw), scripts);
      } catch (error) {
        if (error instanceof CommandError) return error;
        throw error;
      }
    });
    commands += items.filter((p) => !(p instanceof CommandError)).length;
    return [200, (await runPipeline(redis, items)).map((o) => toJson(o, base64))];
  }

  const server = createServer((req, res) => {
    const route = ROUTES[new URL(req.url ?? "/", "http://local").pathname];
    if (route === undefined) return send(res, 404, { error: "ERR not found" });
    if (req.method !== "POST") return send(res, 405, { error: "ERR only POST is supported" });
    if (req.headers.authorization !== `Bearer ${token}`) return send(res, 401, { error: "Unauthorized" });
    const encoding = req.headers["upstash-encoding"];
    const base64 = typeof encoding === "string" && encoding.toLowerCase() === "base64";
    readJson(req)
      .then((body) => handle(route, body, base64))
      .then(([status, body]) => send(res, status, body))
      .catch((error: unknown) => {
        if (error instanceof CommandError) return send(res, 400, { error: error.message });
        send(res, 500, { error: error instanceof Error ? error.message : String(error) });
      });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
    });
  } catch (error) {
    redis.disconnect(); // e.g. the requested port is taken: do not leave the connection open
    throw error;
  }
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("stand-in is not listening on TCP");
  const { port } = address;

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    get commands() {
      return commands;
    },
    async close() {
      // The clients' fetch keeps connections alive; close() alone would wait for them.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await redis.quit();
    },
  };
}
