// Lua scripts from @upstash/ratelimit start with `#!lua flags=allow-key-locking`, a flag only
// Upstash knows; stock Redis 7 rejects the script ("Unexpected flag in script shebang"). We drop
// that flag before Redis sees the script and keep the client's view of script identity: the
// client hashes the ORIGINAL text (ratelimit even hard-codes those hashes), so EVALSHA and
// SCRIPT EXISTS arrive with sha1(original) and SCRIPT LOAD must answer with it.
import { createHash } from "node:crypto";

const UPSTASH_ONLY_FLAGS = new Set(["allow-key-locking"]);

export function sha1(text: string): string {
  return createHash("sha1").update(text, "utf8").digest("hex");
}

/**
 * Removes Upstash-only flags from a `#!lua` shebang. When no flag is left the line becomes
 * empty (not removed) so Redis's error line numbers still match the client's script.
 */
export function rewriteScript(script: string): string {
  if (!script.startsWith("#!")) return script;
  const newline = script.indexOf("\n");
  const first = newline === -1 ? script : script.slice(0, newline);
  const rest = newline === -1 ? "" : script.slice(newline);
  const words = first.split(" ").filter((word) => word !== "");
  const flagsAt = words.findIndex((word) => word.startsWith("flags="));
  const flagsWord = words[flagsAt];
  if (flagsWord === undefined) return script;
  const flags = flagsWord.slice("flags=".length).split(",").filter((flag) => flag !== "");
  const kept = flags.filter((flag) => !UPSTASH_ONLY_FLAGS.has(flag));
  if (kept.length === flags.length) return script;
  const others = words.filter((_, index) => index !== flagsAt);
  // A bare `#!lua` would still opt into Redis 7's shebang rules (e.g. no writes under OOM
  // unless flagged); an empty line gives the script plain EVAL semantics instead.
  if (kept.length === 0 && others.length === 1) return rest;
  return [...others, ...(kept.length > 0 ? [`flags=${kept.join(",")}`] : [])].join(" ") + rest;
}

/** Remembers which sha Redis knows for each script the client has shown us. */
export class ScriptShas {
  readonly #redisSha = new Map<string, string>();

  /** Rewrites `script`, records sha1(original) -> sha1(rewritten), returns both. */
  register(script: string): { script: string; clientSha: string } {
    const rewritten = rewriteScript(script);
    const clientSha = sha1(script);
    if (rewritten !== script) this.#redisSha.set(clientSha, sha1(rewritten));
    return { script: rewritten, clientSha };
  }

  /** The sha to send to Redis; unknown ones pass through so Redis answers NOSCRIPT itself. */
  toRedis(clientSha: string): string {
    return this.#redisSha.get(clientSha.toLowerCase()) ?? clientSha;
  }
}
