// Responses must carry the model id the client sent. Rather than parse and re-serialise every
// chunk, replace the first top-level-looking `"model":"…"` pair in the JSON text. A string
// value cannot contain an unescaped quote, so this pattern cannot match inside content.
const MODEL_FIELD = /"model"\s*:\s*"(?:[^"\\]|\\.)*"/;

/** Builds a rewriter for one request; the replacement is encoded once. */
export function modelRewriter(clientModel: string): (json: string) => string {
  const replacement = `"model":${JSON.stringify(clientModel)}`;
  return (json) => json.replace(MODEL_FIELD, () => replacement);
}
