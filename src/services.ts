import { cachedIdentities, type CachedIdentities } from "./auth/cached-identity.ts";
import { jwtVerifier, type JwtVerifier } from "./auth/jwt.ts";
import { CatalogCache } from "./catalog/catalog-cache.ts";
import type { Config } from "./config/schema.ts";
import type { Db } from "./db/db.ts";
import { touchApiKey } from "./db/repos/api-keys.ts";
import type { Logger, WaitUntil } from "./deps.ts";
import { describeError } from "./http/describe-error.ts";

/** What routes share, built once per gateway (so once per isolate): storage and its caches. */
export interface Services {
  config: Config;
  db: Db;
  identities: CachedIdentities;
  catalog: CatalogCache;
  verifyJwt: JwtVerifier | null;
  logger: Logger;
  now: () => number;
  /** Records that a key was used, at most once a minute per key, in the background. */
  touchApiKey(id: string, waitUntil: WaitUntil): void;
}

const TOUCH_EVERY_MS = 60_000;

export function createServices(config: Config, db: Db, logger: Logger, now: () => number): Services {
  const touched = new Map<string, number>();
  return {
    config,
    db,
    identities: cachedIdentities(db, { now }),
    catalog: new CatalogCache(db, { now }),
    verifyJwt: jwtVerifier({ secret: config.GATEWAY_JWT_SECRET, jwksUrl: config.GATEWAY_JWKS_URL }),
    logger,
    now,
    touchApiKey(id, waitUntil) {
      const at = now();
      if ((touched.get(id) ?? -Infinity) > at - TOUCH_EVERY_MS) return;
      touched.set(id, at);
      if (touched.size > 10_000) touched.clear();
      waitUntil(touchApiKey(db, id, new Date(at)).catch((err: unknown) => logger.warn("could not record key use", { error: describeError(err) })));
    },
  };
}
