// Owner-supplied credentials for the chat hot path, opened and cached per isolate: the first
// request for (caller scope, provider id) queries and decrypts, later ones reuse the result
// until a short TTL passes or a local write (an ownerChanged event) drops the cache.
import { TtlCache } from "../cache/ttl-cache.ts";
import type { Db } from "../store/db.ts";
import { type ByokRoute } from "../store/repos/byok.ts";
import { type UpstreamRoute } from "../store/repos/upstreams.ts";
import type { SecretBox } from "../credentials/index.ts";
import { findCredentialRows, type OwnerScope } from "./credential-rows.ts";
import { openByokKey } from "../credentials/byok-keys.ts";
import { openUpstreamSecrets } from "../credentials/upstreams.ts";

export interface OpenedUpstream {
  row: UpstreamRoute;
  apiKey: string;
  extraHeaders: Record<string, string>;
}

export interface OpenedByok {
  row: ByokRoute;
  apiKey: string;
}

/** What the caller brings for a provider id; a sealed value that no longer opens is `unusable`. */
export interface OwnedCredentials {
  upstream: OpenedUpstream | "unusable" | undefined;
  byok: OpenedByok | "unusable" | undefined;
}

const NONE: OwnedCredentials = { upstream: undefined, byok: undefined };

export class OwnerCredentials {
  readonly #cache: TtlCache<OwnedCredentials>;

  constructor(
    private readonly db: Db,
    private readonly secrets: SecretBox | null,
    opts: { ttlMs?: number; now?: () => number } = {},
  ) {
    const ttlMs = opts.ttlMs ?? 30_000;
    // Negative answers (the common case: no upstream, no BYOK key) are cached as long as hits,
    // so a built-in call stays query-free when warm.
    this.#cache = new TtlCache({ ttlMs, negativeTtlMs: ttlMs, maxEntries: 10_000, ...(opts.now ? { now: opts.now } : {}) });
  }

  async lookup(scope: OwnerScope, providerId: string): Promise<OwnedCredentials> {
    const key = `${scope.kind}\u0000${scope.kind === "org" ? scope.orgId : scope.userId}\u0000${providerId}`;
    return (await this.#cache.get(key, () => this.#load(scope, providerId))) ?? NONE;
  }

  /** Writes are rare; dropping everything keeps invalidation obviously correct. */
  forgetAll(): void {
    this.#cache.clear();
  }

  async #load(scope: OwnerScope, providerId: string): Promise<OwnedCredentials | undefined> {
    const { upstream, byok } = await findCredentialRows(this.db, scope, providerId);
    if (!upstream && !byok) return undefined;
    return {
      upstream: upstream && (await this.#opened(() => openUpstreamSecrets(this.#box(), upstream).then((s) => ({ row: upstream, ...s })))),
      byok: byok && (await this.#opened(() => openByokKey(this.#box(), byok).then((apiKey) => ({ row: byok, apiKey })))),
    };
  }

  #box(): SecretBox {
    if (!this.secrets) throw new Error("GATEWAY_ENCRYPTION_KEYS is not set");
    return this.secrets;
  }

  /** A secret that will not open (key ring changed, row tampered with) is reported, not thrown. */
  async #opened<T>(open: () => Promise<T>): Promise<T | "unusable"> {
    try {
      return await open();
    } catch {
      return "unusable";
    }
  }
}
