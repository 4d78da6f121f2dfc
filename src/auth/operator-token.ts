import { GatewayError } from "../http/errors.ts";

const encoder = new TextEncoder();

async function digest(value: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(value)));
}

/** Compares digests in constant time, so response timing does not leak the token. */
async function sameSecret(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([digest(a), digest(b)]);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

export const operatorApiDisabled = () =>
  new GatewayError(404, "operator_api_disabled", "The operator API is off on this gateway: set GATEWAY_ADMIN_TOKEN (16 characters or more) to turn it on.");

/** Operator routes need `Authorization: Bearer $GATEWAY_ADMIN_TOKEN`; without the setting they are off. */
export async function requireOperator(request: Request, adminToken: string | undefined): Promise<void> {
  if (!adminToken) throw operatorApiDisabled();
  const header = request.headers.get("authorization");
  if (!header) throw new GatewayError(401, "missing_token", "The operator API needs the admin token.");
  const token = /^Bearer[ \t]+(\S+)$/i.exec(header.trim())?.[1];
  if (!token || !(await sameSecret(token, adminToken))) throw new GatewayError(401, "invalid_token", "The admin token is not valid.");
}
