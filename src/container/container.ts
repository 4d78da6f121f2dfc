// Every feature module, built once per gateway (so once per isolate) in one place, and the caches
// among them told of the writes that concern them through one event channel.
import { accountable, Accountant } from "../accounting/accountant.ts";
import { cachedIdentities, type CachedIdentities } from "../auth/cached-identity.ts";
import type { IdentifyDeps } from "../auth/identify.ts";
import { jwtVerifier } from "../auth/jwt.ts";
import { KeyUse } from "../auth/key-use.ts";
import { CatalogCache } from "../catalog/catalog-cache.ts";
import type { Config } from "../config/schema.ts";
import { builtinBaseUrls, enabledProviders } from "../config/providers.ts";
import { createSecretBox, type SecretBox } from "../credentials/index.ts";
import type { Logger } from "../domain/runtime.ts";
import { EventChannel } from "../events/channel.ts";
import type { GatewayEvents } from "../events/gateway-events.ts";
import { standardDocument, type DocumentFactory } from "../http/document.ts";
import { Policy } from "../policy/index.ts";
import { forwarder, type Forward } from "../proxy/forward.ts";
import type { FetchLike } from "../proxy/fetch-like.ts";
import { OwnerCredentials } from "../routing/owner-credentials.ts";
import { configRoutes } from "../routing/config-routes.ts";
import { RouteBook } from "../routing/route-book.ts";
import type { ResolveSources } from "../routing/resolve.ts";
import { withBreaker } from "../counters/breaker.ts";
import { createHealthBoard, type HealthBoard } from "../routing/health-board.ts";
import { boardHealth, type HealthReader } from "../routing/route-health.ts";
import type { StoredRoute } from "../routing/route-store.ts";
import type { TargetSources } from "../routing/model-target.ts";
import type { SsrfPolicy } from "../ssrf/index.ts";
import type { Db } from "../store/db.ts";
import { orgsOfUser } from "../store/repos/orgs.ts";
import { consoleLogger, type GatewayDeps } from "./deps.ts";

/** Retries of one target: waits drawn up to 250 ms, doubling per try, at most 4 s. */
const BACKOFF = { baseMs: 250, maxMs: 4_000 };

export interface Container {
  config: Config;
  db: Db;
  logger: Logger;
  now: () => number;
  events: EventChannel<GatewayEvents>;
  identities: CachedIdentities;
  /** Everything `identify` needs. */
  auth: IdentifyDeps;
  /** The organizations a user belongs to (for whose resources they may read). */
  orgsOf(userId: string): Promise<string[]>;
  catalog: CatalogCache;
  /** Named routes for the request path, cached per isolate. */
  routes: RouteBook;
  /** The operator's routes declared in GATEWAY_ROUTES (read-only through the API). */
  configRoutes: readonly StoredRoute[];
  /** Error-rate failover of route targets, per isolate over the shared counter store. */
  health: HealthBoard;
  /** Health of route targets with failover, for route answers (left out when undefined). */
  routeHealth: HealthReader | undefined;
  /** Seals owner secrets (BYOK keys, custom upstream keys); null without GATEWAY_ENCRYPTION_KEYS. */
  secrets: SecretBox | null;
  /** Where custom upstreams may point (checked when saved and again when used). */
  ssrf: SsrfPolicy;
  /** The upstream transport the adapter gave (pooled on Node). */
  fetch: FetchLike;
  document: DocumentFactory;
  /** Where chat requests can go: operator providers, the catalog, owners' upstreams and keys. */
  targets: TargetSources;
  policy: Policy;
  accountant: Accountant;
  forward: Forward;
  /** What model ids resolve against: targets, routes, their health, organizations' auto models. */
  resolve: ResolveSources;
  keyUse: KeyUse;
}

export function createContainer(deps: GatewayDeps): Container {
  const { config, db } = deps;
  const logger = deps.logger ?? consoleLogger;
  const now = deps.now ?? Date.now;
  const events = new EventChannel<GatewayEvents>(logger);
  const identities = cachedIdentities(db, { now });
  const verifyJwt = jwtVerifier({ secret: config.GATEWAY_JWT_SECRET, jwksUrl: config.GATEWAY_JWKS_URL });
  const catalog = new CatalogCache(db, { now });
  const orgsOf = async (userId: string) => (await orgsOfUser(db, userId)).map((o) => o.orgId);
  // Checked here (config/ cannot use routing/): a bad GATEWAY_ROUTES stops start-up.
  const fromConfig = configRoutes(config);
  const routes = new RouteBook({ db, orgsOf, config: fromConfig, now });
  // Its own breaker: health reads and writes run in the background, and their failures must not
  // make the rate limiter fail fast.
  const health = createHealthBoard(withBreaker(deps.counters, { now }), { logger, now });
  const secrets = config.GATEWAY_ENCRYPTION_KEYS ? createSecretBox(config.GATEWAY_ENCRYPTION_KEYS) : null;
  const ownerCredentials = new OwnerCredentials(db, secrets, { now });
  const ssrf: SsrfPolicy = {
    trustedHosts: new Set(config.GATEWAY_TRUSTED_UPSTREAM_HOSTS),
    ...(config.GATEWAY_SSRF_DOH_URL ? { dohUrl: config.GATEWAY_SSRF_DOH_URL } : {}),
  };
  // Admission (allow-lists, credit, rate limits) and accounting for proxied requests.
  const policy = new Policy({ config, db, counters: deps.counters, logger, now, clientIp: deps.clientIp });
  const accountant = new Accountant({ db, logger, credit: policy.credit, limiter: policy.limiter });
  const document = deps.fast?.document ?? standardDocument;
  const targets: TargetSources = { passthrough: config.GATEWAY_PASSTHROUGH_PRICING, providers: enabledProviders(config), builtinBaseUrls: builtinBaseUrls(config), catalog, ownerCredentials };
  const forward = forwarder({
    fetch: deps.fetch,
    ssrf,
    document,
    admit: (a) => policy.admit(a),
    now,
    firstByteTimeoutMs: config.GATEWAY_FIRST_BYTE_TIMEOUT_MS,
    idleTimeoutMs: config.GATEWAY_IDLE_TIMEOUT_MS,
    totalTimeoutMs: config.GATEWAY_TOTAL_TIMEOUT_MS,
    maxAttempts: config.GATEWAY_MAX_ATTEMPTS,
    backoff: { ...BACKOFF, retryAfterCapMs: config.GATEWAY_RETRY_AFTER_CAP_MS, random: Math.random },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    defaultCompletionTokens: config.GATEWAY_ESTIMATE_COMPLETION_TOKENS,
    onCall: (target, ok, waitUntil) => {
      if (target.health !== null) health.record(target.health, ok, waitUntil);
    },
  });

  // Writes through this isolate reach its caches at once; other isolates see them when their
  // short TTLs expire. Owner-credential lookups are keyed by caller scope, so any owner change
  // drops them all (writes are rare).
  events.on("ownerChanged", (owner) => {
    ownerCredentials.forgetAll();
    policy.credit.forget(owner);
  });
  events.on("ownerDeleted", (owner) => {
    identities.forgetAll();
    routes.forgetAll();
    ownerCredentials.forgetAll();
    policy.credit.forget(owner);
    if (owner.type === "org") policy.orgs.forget(owner.id);
  });
  events.on("membershipChanged", ({ orgId, userId }) => {
    identities.forgetRole(orgId, userId);
    routes.forgetUser(userId);
    ownerCredentials.forgetAll();
  });
  events.on("userChanged", (userId) => identities.forgetUser(userId));
  // Keys are cached by hash, which a revocation by id cannot name: drop them all.
  events.on("keyRevoked", () => identities.forgetAll());
  events.on("orgChanged", (orgId) => policy.orgs.forget(orgId));
  events.on("catalogChanged", () => catalog.forget());
  events.on("routesChanged", (owner) => routes.forget(owner));
  events.on("requestEnded", (outcome) => (accountable(outcome) ? accountant.recordSoon(outcome) : undefined));

  return {
    config,
    db,
    logger,
    now,
    events,
    identities,
    auth: { identities, verifyJwt, now, ...(deps.fast?.hashKey ? { hashKey: deps.fast.hashKey } : {}) },
    orgsOf,
    catalog,
    routes,
    configRoutes: fromConfig,
    health,
    routeHealth: boardHealth(health),
    secrets,
    ssrf,
    fetch: deps.fetch,
    document,
    targets,
    resolve: { targets, routes, health, orgs: policy.orgs },
    policy,
    accountant,
    forward,
    keyUse: new KeyUse(db, logger, now),
  };
}
