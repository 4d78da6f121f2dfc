// What a log line may say about an unexpected error. Drizzle's query errors carry the bound
// parameters in their message (a key hash, a ciphertext, an e-mail), and Postgres quotes values
// in its own messages and details, so for a failed query only the statement, the SQLSTATE and
// the constraint are kept. Other errors keep their stack.

interface QueryFailure {
  query: string;
  params: unknown[];
  cause?: unknown;
}

const isQueryFailure = (err: Error): err is Error & QueryFailure =>
  typeof Reflect.get(err, "query") === "string" && Array.isArray(Reflect.get(err, "params"));

export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (!isQueryFailure(err)) return err.stack ?? `${err.name}: ${err.message}`;
  const cause = err.cause instanceof Error ? err.cause : undefined;
  const code: unknown = cause && Reflect.get(cause, "code");
  const constraint: unknown = cause && Reflect.get(cause, "constraint");
  const reason = !cause
    ? "unknown cause"
    : typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)
      ? `SQLSTATE ${code}${typeof constraint === "string" ? ` on ${constraint}` : ""}`
      : cause.message;
  return `query failed: ${err.query} [${err.params.length} parameter(s) withheld]: ${reason}`;
}
