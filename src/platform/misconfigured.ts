// What an edge deployment with bad or missing settings answers: every request gets the one
// error shape naming each setting to fix (never a value), where the platform would otherwise
// show a plain-text stack trace per request.
import type { ConfigError } from "../config/schema.ts";
import { GatewayError, errorResponse } from "../http/errors.ts";

export function misconfiguredResponse(err: ConfigError): Response {
  const settings = err.problems.map((p) => `${p.setting} ${p.problem}`).join("; ");
  return errorResponse(new GatewayError(503, "gateway_misconfigured", `The gateway cannot start until its operator fixes these settings: ${settings}.`));
}
