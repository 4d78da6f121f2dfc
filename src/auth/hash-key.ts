// Gateway API keys are stored only as SHA-256 hashes (API.md "Authentication").
const encoder = new TextEncoder();

export const API_KEY_PREFIX = "egk_";

/** SHA-256 as lowercase hex: the stored form of an API key. */
export type KeyHasher = (value: string) => string | Promise<string>;

export async function sha256Hex(value: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(value)));
  let hex = "";
  for (const b of digest) hex += b.toString(16).padStart(2, "0");
  return hex;
}
