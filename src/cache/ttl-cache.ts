// Per-isolate lookup cache for the hot path (DESIGN.md "Storage"): short TTLs, negative entries
// for unknown keys, and one shared load per key so a burst of cold requests makes one query.

export interface TtlCacheOptions<V = unknown> {
  /** How long a found value is served without asking the database again. */
  ttlMs: number;
  /** How long "not found" is remembered (shorter: a key created elsewhere shows up soon). */
  negativeTtlMs: number;
  /** Entries kept at most; the oldest are dropped first. */
  maxEntries: number;
  /** A found value's own lifetime, when it depends on the value (default: ttlMs). */
  ttlFor?: (value: V) => number;
  now?: () => number;
}

interface Entry<V> {
  value: V | undefined;
  expires: number;
}

export class TtlCache<V> {
  readonly #entries = new Map<string, Entry<V>>();
  readonly #loading = new Map<string, Promise<V | undefined>>();
  readonly #opts: TtlCacheOptions<V>;
  readonly #now: () => number;

  constructor(opts: TtlCacheOptions<V>) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
  }

  /** The cached value, or the loader's answer (`undefined` = not found, cached negatively). */
  get(key: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
    const hit = this.#entries.get(key);
    if (hit && hit.expires > this.#now()) return Promise.resolve(hit.value);
    const pending = this.#loading.get(key);
    if (pending) return pending;
    const loading: Promise<V | undefined> = load().then(
      (value) => {
        // A write that invalidated the key while this load ran wins: don't cache the old answer.
        if (this.#loading.get(key) === loading) {
          this.#loading.delete(key);
          this.set(key, value);
        }
        return value;
      },
      (err: unknown) => {
        // Failures are not cached: the next request tries again.
        if (this.#loading.get(key) === loading) this.#loading.delete(key);
        throw err;
      },
    );
    this.#loading.set(key, loading);
    return loading;
  }

  set(key: string, value: V | undefined): void {
    const ttl = value === undefined ? this.#opts.negativeTtlMs : (this.#opts.ttlFor?.(value) ?? this.#opts.ttlMs);
    this.#entries.delete(key); // re-insert so Map order stays oldest-first
    this.#entries.set(key, { value, expires: this.#now() + ttl });
    if (this.#entries.size > this.#opts.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
  }

  /** A fresh found value, synchronously (for callers that avoid a promise when warm). */
  peek(key: string): V | undefined {
    const hit = this.#entries.get(key);
    return hit && hit.expires > this.#now() ? hit.value : undefined;
  }

  /** Lets an entry live at most `ttlMs` more (its value changed in a way that needs re-reading sooner). */
  shorten(key: string, ttlMs: number): void {
    const hit = this.#entries.get(key);
    if (hit) hit.expires = Math.min(hit.expires, this.#now() + ttlMs);
  }

  /** Local writes call this so this isolate never serves what it just changed. */
  delete(key: string): void {
    this.#entries.delete(key);
    this.#loading.delete(key);
  }

  clear(): void {
    this.#entries.clear();
    this.#loading.clear();
  }
}
