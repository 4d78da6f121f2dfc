// Responses must carry the model id the client sent. Rather than parse and re-serialise every
// chunk, the first `"model": "…"` key's value is replaced in the JSON text (see model-field.ts).
import { modelValueSpan, spliceSpan } from "./model-field.ts";

/** Builds a rewriter for one request; the replacement is encoded once. */
export function modelRewriter(clientModel: string): (json: string) => string {
  const encoded = JSON.stringify(clientModel);
  return (json) => {
    const span = modelValueSpan(json);
    return span ? spliceSpan(json, span, encoded) : json;
  };
}
