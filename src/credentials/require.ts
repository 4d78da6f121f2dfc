import { GatewayError } from "../http/errors.ts";
import type { SecretBox } from "./box.ts";

/** The secret box, or the 503 that says owner secrets cannot be stored or used on this gateway. */
export function requireSecrets(box: SecretBox | null): SecretBox {
  if (box) return box;
  throw new GatewayError(503, "secrets_unavailable", "Storing or using secrets needs GATEWAY_ENCRYPTION_KEYS, which is not set on this gateway.");
}
