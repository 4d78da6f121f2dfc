// Extra headers of a custom upstream: validated when saved and again when read back, so a header
// the gateway must not send can neither be stored nor come back from storage.
import { z } from "zod";

// Names the gateway or its HTTP transport controls: credentials, the target, the connection, and
// the body's framing, type and encoding, and what answer it accepts. An extra header setting one
// would be overridden at best and break every call at worst (`expect`, `content-encoding`).
const RESERVED_HEADERS = new Set([
  "authorization", "cookie", "host", "connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade",
  "expect", "accept", "accept-encoding", "range", "http2-settings", "forwarded", "via", "max-forwards",
]);
const RESERVED_PREFIXES = ["content-", "proxy-", "sec-", "if-"];

/** True for a (lower-case) header name an extra header may not set. */
export const isReservedHeader = (name: string): boolean => RESERVED_HEADERS.has(name) || RESERVED_PREFIXES.some((p) => name.startsWith(p));
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Header values are byte strings; CR/LF/NUL would split or end a header.
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
export const MAX_EXTRA_HEADERS = 32;
/** Names and values together: with the gateway's own headers this stays under common server limits (8 KiB a header block at least). */
export const MAX_EXTRA_HEADER_BYTES = 4096;

/**
 * A credential as it must travel in a header: visible ASCII, spaces only inside. One that is
 * saved but cannot be sent (a pasted line break, surrounding spaces HTTP would strip) is refused.
 */
export const credentialSchema = z
  .string()
  .min(1)
  .max(4096)
  .regex(/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/, "must be printable ASCII without surrounding spaces or line breaks");

/** Extra headers as stored (and accepted in bodies): names lower-cased, reserved ones refused. */
export const extraHeadersSchema = z
  .record(z.string(), z.string().max(4096).regex(HEADER_VALUE, "must not contain control characters other than tab"))
  .superRefine((headers, ctx) => {
    const seen = new Set<string>();
    const names = Object.keys(headers);
    if (names.length > MAX_EXTRA_HEADERS) ctx.addIssue({ code: "custom", message: `at most ${MAX_EXTRA_HEADERS} headers` });
    const bytes = names.reduce((n, name) => n + name.length + (headers[name]?.length ?? 0), 0);
    if (bytes > MAX_EXTRA_HEADER_BYTES) ctx.addIssue({ code: "custom", message: `at most ${MAX_EXTRA_HEADER_BYTES} bytes of names and values together` });
    for (const name of names) {
      const lower = name.toLowerCase();
      let problem: string | undefined;
      if (!HEADER_NAME.test(name)) problem = "is not a valid header name";
      else if (isReservedHeader(lower)) problem = "is set by the gateway or its HTTP transport and cannot be overridden";
      else if (seen.has(lower)) problem = "appears twice (header names are case-insensitive)";
      if (problem) ctx.addIssue({ code: "custom", message: `header "${name}" ${problem}`, path: [name] });
      seen.add(lower);
    }
  })
  .transform((headers) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])));
