// Finding a `"model": "…"` pair in JSON text without parsing it: requests and answers carry the
// model id in one place, and rewriting it in the text is far cheaper than re-serialising.
//
// A match counts only when it is a real object key: preceded (after whitespace) by `{` or `,`
// and followed by `:`. Inside a string a quote is escaped (`\"model\"`), so an escaped quote
// never starts a match, and a string *value* "model" is never followed by a colon.
const KEY = '"model"';
const QUOTE = 34;
const BACKSLASH = 92;

const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;

function keyAt(json: string, i: number): boolean {
  let p = i - 1;
  while (p >= 0 && isSpace(json.charCodeAt(p))) p--;
  const before = json.charCodeAt(p);
  return before === 123 /* { */ || before === 44 /* , */;
}

/** The index just past the string starting at `open` (a quote), or -1 if it never closes. */
function stringEnd(json: string, open: number): number {
  for (let i = open + 1; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i + 1;
  }
  return -1;
}

/**
 * The [start, end) span, quotes included, of the string value of the first `"model"` key whose
 * value is a string; null when there is none.
 */
export function modelValueSpan(json: string): [number, number] | null {
  for (let i = json.indexOf(KEY); i !== -1; i = json.indexOf(KEY, i + 1)) {
    if (!keyAt(json, i)) continue;
    let j = i + KEY.length;
    while (isSpace(json.charCodeAt(j))) j++;
    if (json.charCodeAt(j) !== 58 /* : */) continue;
    j++;
    while (isSpace(json.charCodeAt(j))) j++;
    if (json.charCodeAt(j) !== QUOTE) continue;
    const end = stringEnd(json, j);
    return end === -1 ? null : [j, end];
  }
  return null;
}

/** `json` with the span replaced by `encoded` (an already JSON-encoded string). */
export const spliceSpan = (json: string, [start, end]: [number, number], encoded: string): string =>
  json.slice(0, start) + encoded + json.slice(end);
