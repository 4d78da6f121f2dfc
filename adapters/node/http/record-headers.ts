// Headers over a plain record of lower-case names, the shape node:http and undici already parse
// headers into. On Node 20 a real Headers object validates and sorts on every call (~5% of a
// warm request between the incoming request, the upstream answer and our own response); this
// one answers from the record and hands it back to the server as-is.
type Value = string | string[] | undefined;

// RFC 9110 token characters for names; values may not hold CR, LF or NUL (header injection).
const NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\r\n\0]/;

function checked(name: string, value: string): [string, string] {
  if (!NAME.test(name)) throw new TypeError(`Invalid header name: "${name}"`);
  const v = value.trim();
  if (BAD_VALUE.test(v)) throw new TypeError(`Invalid header value for "${name}"`);
  return [name.toLowerCase(), v];
}

const joined = (v: Value): string | null => (v === undefined ? null : typeof v === "string" ? v : v.join(", "));

export class RecordHeaders implements Headers {
  readonly #record: Record<string, Value>;

  /** Takes ownership of `record` (keys must already be lower-case, as node and undici give them). */
  constructor(record: Record<string, Value> = {}) {
    this.#record = record;
  }

  /** The record itself, for node:http's writeHead (set-cookie stays an array); writes skip validation. */
  get record(): Record<string, Value> {
    return this.#record;
  }

  get(name: string): string | null {
    return joined(this.#record[name.toLowerCase()]);
  }

  has(name: string): boolean {
    return this.#record[name.toLowerCase()] !== undefined;
  }

  set(name: string, value: string): void {
    const [k, v] = checked(name, value);
    this.#record[k] = k === "set-cookie" ? [v] : v;
  }

  append(name: string, value: string): void {
    const [k, v] = checked(name, value);
    const prev = this.#record[k];
    if (prev === undefined) this.#record[k] = k === "set-cookie" ? [v] : v;
    else if (Array.isArray(prev)) prev.push(v);
    else this.#record[k] = k === "set-cookie" ? [prev, v] : `${prev}, ${v}`;
  }

  delete(name: string): void {
    delete this.#record[name.toLowerCase()];
  }

  getSetCookie(): string[] {
    const v = this.#record["set-cookie"];
    return v === undefined ? [] : typeof v === "string" ? [v] : [...v];
  }

  /** In name order with set-cookie values kept apart, as the Fetch standard iterates. */
  *entries(): HeadersIterator<[string, string]> {
    for (const name of Object.keys(this.#record).sort()) {
      const v = this.#record[name];
      if (v === undefined) continue;
      if (name === "set-cookie" && Array.isArray(v)) for (const c of v) yield [name, c];
      else yield [name, joined(v) ?? ""];
    }
  }

  *keys(): HeadersIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): HeadersIterator<string> {
    for (const [, v] of this.entries()) yield v;
  }

  forEach(callback: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) callback.call(thisArg, v, k, this);
  }

  [Symbol.iterator](): HeadersIterator<[string, string]> {
    return this.entries();
  }
}
