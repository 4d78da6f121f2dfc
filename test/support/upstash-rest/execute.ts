// Runs prepared commands on the shared ioredis connection and reports per-command outcomes.
import type { Redis } from "ioredis";
import { CommandError, type Prepared } from "./commands.ts";
import { isRedisError, toReply, type Reply } from "./reply.ts";

/** One command's outcome: a reply, or a Redis error message (never encoded). */
export type Outcome = { ok: true; reply: Reply } | { ok: false; error: string };

/** A problem that fails the whole request (connection trouble), not one command. */
export class TransportError extends Error {
  override name = "TransportError";
}

function settle(p: Prepared, result: PromiseSettledResult<unknown>): Outcome {
  if (result.status === "rejected") {
    const error: unknown = result.reason;
    if (isRedisError(error)) return { ok: false, error: error.message };
    throw new TransportError(error instanceof Error ? error.message : String(error));
  }
  const reply = toReply(result.value);
  return { ok: true, reply: p.mapReply ? p.mapReply(reply) : reply };
}

/**
 * Independent commands, like Upstash's /pipeline: not atomic, each may fail on its own. They
 * are all issued before the first await, so they go out in order on the one connection.
 */
export async function runPipeline(redis: Redis, items: (Prepared | CommandError)[]): Promise<Outcome[]> {
  const pending = items.map((p) => (p instanceof CommandError ? null : redis.callBuffer(p.name, ...p.args)));
  const settled = await Promise.allSettled(pending.map((p) => p ?? Promise.resolve(null)));
  return items.map((p, i): Outcome => {
    const result = settled[i];
    if (p instanceof CommandError) return { ok: false, error: p.message };
    if (result === undefined) throw new TransportError("missing pipeline result");
    return settle(p, result);
  });
}

/**
 * MULTI ... EXEC: ioredis writes the whole block in one go on the connection, so no other
 * request's command lands inside it. Runtime errors come back per command; a queue-time error
 * (EXECABORT) or a WATCH abort fails the transaction as a whole.
 */
export async function runMulti(redis: Redis, items: Prepared[]): Promise<Outcome[]> {
  const multi = redis.multi();
  for (const p of items) multi.callBuffer(p.name, ...p.args);
  let results: [error: Error | null, result: unknown][] | null;
  try {
    results = await multi.exec();
  } catch (error) {
    if (!isRedisError(error)) throw new TransportError(error instanceof Error ? error.message : String(error));
    throw new CommandError(withQueueErrors(error));
  }
  if (results === null) throw new CommandError("EXECABORT transaction aborted");
  return items.map((p, i): Outcome => {
    const [error, value] = results[i] ?? [new TransportError("missing transaction result"), null];
    return settle(p, error ? { status: "rejected", reason: error } : { status: "fulfilled", value });
  });
}

/** EXECABORT alone says nothing useful; ioredis keeps the queue-time errors beside it. */
function withQueueErrors(error: Error): string {
  const previous: unknown = "previousErrors" in error ? error.previousErrors : undefined;
  if (!Array.isArray(previous)) return error.message;
  const messages = previous.flatMap((e: unknown) => (e instanceof Error ? [e.message] : []));
  return messages.length > 0 ? `${error.message} (${messages.join("; ")})` : error.message;
}
