import type { Owner } from "./domain/caller.ts";
import { cachedIdentities, type CachedIdentities } from "./auth/cached-identity.ts";
import type { KeyHasher } from "./auth/hash-key.ts";
import type { IdentifyDeps } from "./auth/identify.ts";
import { jwtVerifier, type JwtVerifier } from "./auth/jwt.ts";
import { CatalogCache } from "./catalog/catalog-cache.ts";
import type { Config } from "./config/schema.ts";
import type { Db } from "./store/db.ts";
import type { RouteSources } from "./routing/resolve.ts";
import { touchApiKey } from "./store/repos/api-keys.ts";
import { builtinBaseUrls, enabledProviders } from "./config/providers.ts";
import { OwnerRoutes } from "./routing/owner-credentials.ts";
import { createSecretBox, type SecretBox } from "./credentials/index.ts";
import type { SsrfPolicy } from "./ssrf/index.ts";
import type { FetchLike, Logger, WaitUntil } from "./deps.ts";
import { describeError } from "./http/describe-error.ts";

/** What routes share, built once per gateway (so once per isolate): storage and its caches. */
export interface Services {
  config: Config;
  db: Db;
  identities: CachedIdentities;
  /** Everything `identify` needs, built once. */
  auth: IdentifyDeps;
  catalog: CatalogCache;
  verifyJwt: JwtVerifier | null;
  /** Seals owner secrets (BYOK keys, custom upstream keys); null without GATEWAY_ENCRYPTION_KEYS. */
  secrets: SecretBox | null;
  /** Where custom upstreams may point (checked when saved and again when used). */
  ssrf: SsrfPolicy;
  /** The upstream transport the adapter gave (pooled on Node). */
  fetch: FetchLike;
  logger: Logger;
  now: () => number;
  /**
   * After a write to an owner's upstreams or BYOK keys: drops what this isolate cached about
   * that owner's routes (other isolates see the change when their short TTL expires).
   */
  invalidateOwner(owner: Owner): void;
  /** Registers a cache to be told by invalidateOwner. */
  onInvalidateOwner(forget: (owner: Owner) => void): void;
  /** Where chat requests can go: operator providers, the catalog, owners' upstreams and keys. */
  routes: RouteSources;
  /** Records that a key was used, at most once a minute per key, in the background. */
  touchApiKey(id: string, waitUntil: WaitUntil): void;
}

const TOUCH_EVERY_MS = 60_000;

export function createServices(config: Config, db: Db, fetch: FetchLike, logger: Logger, now: () => number, hashKey?: KeyHasher): Services {
  const touched = new Map<string, number>();
  const routeListeners: ((owner: Owner) => void)[] = [() => ownerRoutes.forgetAll()];
  const identities = cachedIdentities(db, { now });
  const secrets = config.GATEWAY_ENCRYPTION_KEYS ? createSecretBox(config.GATEWAY_ENCRYPTION_KEYS) : null;
  const catalog = new CatalogCache(db, { now });
  const ownerRoutes = new OwnerRoutes(db, secrets, { now });
  const verifyJwt = jwtVerifier({ secret: config.GATEWAY_JWT_SECRET, jwksUrl: config.GATEWAY_JWKS_URL });
  return {
    config,
    db,
    identities,
    auth: { identities, verifyJwt, now, ...(hashKey ? { hashKey } : {}) },
    catalog,
    verifyJwt,
    secrets,
    routes: { passthrough: config.GATEWAY_PASSTHROUGH_PRICING, providers: enabledProviders(config), builtinBaseUrls: builtinBaseUrls(config), catalog, ownerRoutes },
    ssrf: {
      trustedHosts: new Set(config.GATEWAY_TRUSTED_UPSTREAM_HOSTS),
      ...(config.GATEWAY_SSRF_DOH_URL ? { dohUrl: config.GATEWAY_SSRF_DOH_URL } : {}),
    },
    fetch,
    logger,
    now,
    invalidateOwner(owner) {
      routeListeners.forEach((forget) => forget(owner));
    },
    onInvalidateOwner(forget) {
      routeListeners.push(forget);
    },
    touchApiKey(id, waitUntil) {
      const at = now();
      if ((touched.get(id) ?? -Infinity) > at - TOUCH_EVERY_MS) return;
      touched.set(id, at);
      if (touched.size > 10_000) touched.clear();
      waitUntil(touchApiKey(db, id, new Date(at)).catch((err: unknown) => logger.warn("could not record key use", { error: describeError(err) })));
    },
  };
}
