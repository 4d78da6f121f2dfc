// Turns one JSON command from a request body into what we send to Redis.
import type { Reply } from "./reply.ts";
import type { ScriptShas } from "./scripts.ts";

export interface Prepared {
  /** Upper-case, so ioredis applies none of its lower-case-keyed reply transformers. */
  name: string;
  args: string[];
  /** Adjusts Redis's reply to what the client expects (SCRIPT LOAD's sha). */
  mapReply?: (reply: Reply) => Reply;
}

/** A bad request, answered like a Redis error so the client surfaces it as one. */
export class CommandError extends Error {
  override name = "CommandError";
}

// All requests share one Redis connection, so commands that change connection state (or take
// it over) would leak into other requests. Upstash's REST API is stateless too.
const CONNECTION_STATE = new Set([
  "MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH", "SELECT", "AUTH", "HELLO", "RESET", "QUIT",
  "MONITOR", "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE",
]);

/** The client sends strings, numbers and booleans (it JSON-encodes everything else itself). */
export function parseCommand(raw: unknown): string[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new CommandError("ERR a command must be a non-empty JSON array");
  return raw.map((arg: unknown) => {
    if (typeof arg === "string") return arg;
    if (typeof arg === "number" || typeof arg === "boolean") return String(arg);
    throw new CommandError(`ERR unsupported argument type ${arg === null ? "null" : typeof arg}`);
  });
}

export function prepare(command: string[], scripts: ScriptShas): Prepared {
  const [first = "", ...args] = command;
  const name = first.toUpperCase();
  if (CONNECTION_STATE.has(name)) throw new CommandError(`ERR command '${first}' is not supported over REST`);
  const [head, ...tail] = args;
  if (head === undefined) return { name, args };
  switch (name) {
    case "EVAL":
    case "EVAL_RO":
      return { name, args: [scripts.register(head).script, ...tail] };
    case "EVALSHA":
    case "EVALSHA_RO":
      return { name, args: [scripts.toRedis(head), ...tail] };
    case "SCRIPT":
      return prepareScript(head.toUpperCase(), tail, scripts);
    default:
      return { name, args };
  }
}

function prepareScript(sub: string, args: string[], scripts: ScriptShas): Prepared {
  const [script] = args;
  if (sub === "LOAD" && script !== undefined && args.length === 1) {
    const { script: rewritten, clientSha } = scripts.register(script);
    // Redis answers sha1(rewritten); the client compares against sha1(original).
    const mapReply = (reply: Reply): Reply => (Buffer.isBuffer(reply) ? Buffer.from(clientSha) : reply);
    return { name: "SCRIPT", args: ["LOAD", rewritten], mapReply };
  }
  if (sub === "EXISTS") return { name: "SCRIPT", args: ["EXISTS", ...args.map((sha) => scripts.toRedis(sha))] };
  return { name: "SCRIPT", args: [sub, ...args] };
}
