// The client IP on Vercel: the platform sets x-real-ip and x-forwarded-for itself (overwriting
// the client's); the first x-forwarded-for entry is the client.
import type { ClientIpSource } from "../../src/index.ts";

export const vercelClientIp: ClientIpSource = (request) => {
  const real = request.headers.get("x-real-ip");
  if (real) return real;
  const forwarded = request.headers.get("x-forwarded-for");
  if (!forwarded) return null;
  const comma = forwarded.indexOf(",");
  return (comma === -1 ? forwarded : forwarded.slice(0, comma)).trim() || null;
};
