// Neon's error body: the Postgres error fields by name, which the client copies onto NeonDbError
// (only for status 400). Non-database failures carry just a message.
const FIELDS = [
  "severity",
  "code",
  "detail",
  "hint",
  "position",
  "internalPosition",
  "internalQuery",
  "where",
  "schema",
  "table",
  "column",
  "dataType",
  "constraint",
  "file",
  "line",
  "routine",
] as const;

export function errorBody(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(err) };
  const body: Record<string, unknown> = { message: err.message };
  for (const field of FIELDS) {
    const value: unknown = Reflect.get(err, field);
    if (value !== undefined) body[field] = value;
  }
  return body;
}

/** A Postgres error (it has a SQLSTATE), as opposed to a connection or stand-in failure. */
export const hasSqlState = (err: unknown): boolean =>
  err instanceof Error && typeof Reflect.get(err, "code") === "string" && /^[0-9A-Z]{5}$/.test(String(Reflect.get(err, "code")));
