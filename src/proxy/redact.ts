// Some upstreams quote the credentials they received in their error messages ("Incorrect API key
// provided: Bearer sk-…"). Whatever of an upstream's words reaches a client first loses every
// credential the gateway itself sent on that call: the key and the extra header values.

/** Shorter values are not told apart from ordinary words; credentials are longer than this. */
const MIN_SECRET_LENGTH = 6;
const REDACTED = "[redacted]";
/** Values visited and depth at most (error bodies are small; these keep a hostile one cheap and shallow). */
const MAX_VISITS = 10_000;
const MAX_DEPTH = 32;

/** The credentials one upstream call carried, longest first (so a longer one is never half-replaced). */
export function sentSecrets(apiKey: string, extraHeaders: Readonly<Record<string, string>>): readonly string[] {
  // Each also as it travels: HTTP drops the spaces and tabs around a header value (a pasted " sk-… ").
  const all = [apiKey, ...Object.values(extraHeaders)].flatMap((s) => [s, s.replace(/^[\t ]+|[\t ]+$/g, "")]).filter((s) => s.length >= MIN_SECRET_LENGTH);
  return [...new Set(all)].sort((a, b) => b.length - a.length);
}

/** Whether `text` quotes any credential of this call (as it travelled: HTTP trims header values). */
export function quotesCredential(text: string, apiKey: string, extraHeaders: Readonly<Record<string, string>>): boolean {
  const quoted = (s: string) => {
    const sent = s.trim();
    return sent.length >= MIN_SECRET_LENGTH && text.includes(sent);
  };
  if (quoted(apiKey)) return true;
  for (const name in extraHeaders) if (quoted(extraHeaders[name] ?? "")) return true;
  return false;
}

/** `text` with every secret, as written and as JSON would escape it, replaced. */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret && out.includes(escaped)) out = out.split(escaped).join(REDACTED);
  }
  return out;
}

/**
 * A parsed JSON value with every string (keys included) redacted. Bounded and never throws:
 * what lies beyond the bounds is dropped (null), since it cannot be checked.
 */
export function redactValue(value: unknown, secrets: readonly string[]): unknown {
  if (secrets.length === 0) return value;
  let visits = MAX_VISITS;
  const walk = (v: unknown, depth: number): unknown => {
    if (visits-- <= 0 || depth > MAX_DEPTH) return null;
    if (typeof v === "string") return redactText(v, secrets);
    if (Array.isArray(v)) return v.map((item) => walk(item, depth + 1));
    if (typeof v === "object" && v !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) out[redactText(k, secrets)] = walk(item, depth + 1);
      return out;
    }
    return v;
  };
  return walk(value, 0);
}
