// Uniqueness is the database's to decide (two concurrent creates cannot both win): a write that
// meets a unique constraint answers the route's own 409.
import type { GatewayError } from "../http/errors.ts";
import { sqlState, UNIQUE_VIOLATION } from "../store/pg-error.ts";

export async function unlessDuplicate<T>(write: () => Promise<T>, conflict: () => GatewayError): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (sqlState(err) === UNIQUE_VIOLATION) throw conflict();
    throw err;
  }
}
