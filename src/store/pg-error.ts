// Postgres errors reach us from three drivers, sometimes wrapped by drizzle (`cause`); all carry
// the SQLSTATE as `code`.
export function sqlState(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === "object" && depth < 4; depth++) {
    if ("code" in e && typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
    e = "cause" in e ? e.cause : undefined;
  }
  return undefined;
}

export const UNIQUE_VIOLATION = "23505";
export const FOREIGN_KEY_VIOLATION = "23503";

// A database the migrations never (fully) reached: the gateway's tables, a later migration's
// columns, or drizzle's schema are absent.
const UNDEFINED_TABLE = "42P01";
const UNDEFINED_COLUMN = "42703";
const INVALID_SCHEMA_NAME = "3F000";

export function isNotMigrated(err: unknown): boolean {
  const state = sqlState(err);
  return state === UNDEFINED_TABLE || state === UNDEFINED_COLUMN || state === INVALID_SCHEMA_NAME;
}
