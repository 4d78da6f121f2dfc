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

/** Operator routes need `Authorization: Bearer $GATEWAY_ADMIN_TOKEN`; without the setting they do not exist. */
export async function requireOperator(request: Request, adminToken: string | undefined): Promise<void> {
  if (!adminToken) throw new GatewayError(404, "route_not_found", "The operator API is disabled on this gateway.");
  const header = request.headers.get("authorization");
  if (!header) throw new GatewayError(401, "missing_token", "The operator API needs the admin token.");
  const token = /^Bearer[ \t]+(\S+)$/i.exec(header.trim())?.[1];
  if (!token || !(await sameSecret(token, adminToken))) throw new GatewayError(401, "invalid_token", "The admin token is not valid.");
}
