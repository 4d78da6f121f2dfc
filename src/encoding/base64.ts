// Strict base64 / base64url codecs over atob/btoa (available in every target runtime).
// atob alone is too lenient (ignores whitespace, accepts missing padding), so shapes are checked first.

export function bytesToBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function binaryToBytes(binary: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** Standard base64 (padding optional); null when malformed. */
export function base64ToBytes(text: string): Uint8Array<ArrayBuffer> | null {
  const unpadded = text.replace(/={1,2}$/, "");
  if (!/^[A-Za-z0-9+/]*$/.test(unpadded) || unpadded.length % 4 === 1) return null;
  if (text !== unpadded && text.length % 4 !== 0) return null;
  try {
    return binaryToBytes(atob(unpadded + "=".repeat((4 - (unpadded.length % 4)) % 4)));
  } catch {
    return null;
  }
}

/** Unpadded base64url; null when malformed. */
export function base64UrlToBytes(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  return base64ToBytes(text.replace(/-/g, "+").replace(/_/g, "/"));
}

/** `n` random bytes as unpadded base64url (Web Crypto). */
export const randomBase64Url = (n: number): string => bytesToBase64Url(crypto.getRandomValues(new Uint8Array(n)));
