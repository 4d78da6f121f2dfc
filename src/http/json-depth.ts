import { GatewayError } from "./errors.ts";

// JSON nesting is bounded where a body is read: a body nested thousands deep parses fine but
// overflows the stack later (re-serialising it, walking it), far from where it came in.

/** Deepest nesting accepted in a request body: far beyond any real chat request or JSON schema. */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_OBJECT = 123;
const OPEN_ARRAY = 91;
const CLOSE_OBJECT = 125;
const CLOSE_ARRAY = 93;

/**
 * True when the JSON text nests objects and arrays deeper than `max`. One pass over the text,
 * skipping strings; brackets inside strings do not count. Meant for text JSON.parse accepted.
 */
export function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === BACKSLASH) i++;
        else if (s === QUOTE) break;
      }
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > max) return true;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
    }
  }
  return false;
}

export const tooDeep = (): GatewayError =>
  new GatewayError(400, "invalid_json", `Request body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep.`);
