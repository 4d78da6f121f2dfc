// Named routes for the request path, cached per isolate like the catalog: the operator's routes
// loaded whole (so that a plain model id with no alias costs one Map lookup), and each caller
// scope's own routes loaded once per TTL. Empty answers are cached as well. Writes through this
// isolate drop what they change at once (routesChanged); other isolates see them within the TTL.
import { ownersInScope, type OrgsLookup, type OwnerScope } from "../access/owners.ts";
import { TtlCache } from "../cache/ttl-cache.ts";
import type { Owner } from "../domain/owner.ts";
import type { Db } from "../store/db.ts";
import type { NamedRoute } from "./route-definition.ts";
import { isAliasName, routeNameOf } from "./route-name.ts";
import { operatorRoutes, ownedRoutes, type StoredRoute } from "./route-store.ts";

interface OperatorBook {
  /** Addressed as `route/<name>`. */
  slugs: ReadonlyMap<string, NamedRoute>;
  /** Named by the model id they stand for. */
  aliases: ReadonlyMap<string, NamedRoute>;
}

interface ScopeBook {
  /** The scope's own routes, the first owner in precedence winning each name. */
  byName: ReadonlyMap<string, NamedRoute>;
}

export interface RouteBookDeps {
  db: Db;
  orgsOf: OrgsLookup;
  /** GATEWAY_ROUTES, checked (routing/config-routes.ts). */
  config: readonly StoredRoute[];
  ttlMs?: number;
  now?: () => number;
}

const OPERATOR = "operator";
const NONE: Promise<undefined> = Promise.resolve(undefined);
const scopeKey = (scope: OwnerScope) => (scope.kind === "org" ? `org\u0000${scope.orgId}` : `user\u0000${scope.userId}`);

export class RouteBook {
  readonly #deps: RouteBookDeps;
  readonly #operator: TtlCache<OperatorBook>;
  readonly #scopes: TtlCache<ScopeBook>;

  constructor(deps: RouteBookDeps) {
    this.#deps = deps;
    const ttlMs = deps.ttlMs ?? 30_000;
    const now = deps.now ? { now: deps.now } : {};
    this.#operator = new TtlCache({ ttlMs, negativeTtlMs: ttlMs, maxEntries: 1, ...now });
    this.#scopes = new TtlCache({ ttlMs, negativeTtlMs: ttlMs, maxEntries: 10_000, ...now });
  }

  /**
   * The route a request in `scope` means by `route/<name>` (the bare name or the whole model id):
   * the acting organization's, else the user's, then their organizations', then the operator's
   * (the order of ownersInScope, then the operator); with no scope, the operator's only.
   */
  async find(scope: OwnerScope | null, name: string): Promise<NamedRoute | undefined> {
    const bare = routeNameOf(name) ?? name;
    // No scope (an anonymous caller, or `auto`): the operator's routes only.
    if (scope === null) return (await this.#operatorBook()).slugs.get(bare);
    const [own, operator] = await Promise.all([this.#scope(scope), this.#operatorBook()]);
    return own.byName.get(bare) ?? operator.slugs.get(bare);
  }

  /** The operator's route standing for the plain model id `modelId`, if any. */
  alias(modelId: string): Promise<NamedRoute | undefined> {
    const warm = this.#operator.peek(OPERATOR);
    if (warm !== undefined) return warm.aliases.size === 0 ? NONE : Promise.resolve(warm.aliases.get(modelId));
    return this.#operatorBook().then((book) => book.aliases.get(modelId));
  }

  /** Every route a request in `scope` can name (each name once, as find() would answer it), then the operator's aliases. */
  async listFor(scope: OwnerScope): Promise<NamedRoute[]> {
    const [own, operator] = await Promise.all([this.#scope(scope), this.#operatorBook()]);
    const out = [...own.byName.values()];
    for (const [name, route] of operator.slugs) if (!own.byName.has(name)) out.push(route);
    return [...out, ...operator.aliases.values()];
  }

  /** After a write to `owner`'s routes (null: the operator's). */
  forget(owner: Owner | null): void {
    // Any user scope may hold an organization's routes: owner writes are rare, drop every scope.
    if (owner === null) this.#operator.clear();
    else this.#scopes.clear();
  }

  /** After a user joined or left an organization: their scope's routes change. */
  forgetUser(userId: string): void {
    this.#scopes.delete(scopeKey({ kind: "user", userId }));
  }

  forgetAll(): void {
    this.#operator.clear();
    this.#scopes.clear();
  }

  async #operatorBook(): Promise<OperatorBook> {
    const book = await this.#operator.get(OPERATOR, async () => {
      const slugs = new Map<string, NamedRoute>();
      const aliases = new Map<string, NamedRoute>();
      for (const r of await operatorRoutes(this.#deps.db, this.#deps.config)) (isAliasName(r.name) ? aliases : slugs).set(r.name, r);
      return { slugs, aliases };
    });
    return book ?? { slugs: new Map(), aliases: new Map() };
  }

  async #scope(scope: OwnerScope): Promise<ScopeBook> {
    const book = await this.#scopes.get(scopeKey(scope), async () => {
      const byName = new Map<string, NamedRoute>();
      for (const r of await ownedRoutes(this.#deps.db, await ownersInScope(this.#deps.orgsOf, scope))) if (!byName.has(r.name)) byName.set(r.name, r);
      return { byName };
    });
    return book ?? { byName: new Map() };
  }
}
