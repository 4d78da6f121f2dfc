// Pipeline step "resolve model": everything the client named becomes the ordered upstream targets
// that may serve it. A plain model id is one target (model-target.ts); `route/<name>`, an operator
// alias and `auto/org` expand to several, in the order their strategy gives; request-level
// fallbacks (`models`) line up one after another. A candidate that cannot be resolved for this
// caller is skipped with its reason, unless it was the only one.
import { actingScope, type OwnerScope } from "../access/owners.ts";
import type { Caller } from "../domain/caller.ts";
import type { WaitUntil } from "../domain/runtime.ts";
import type { UpstreamTarget } from "../domain/target.ts";
import { GatewayError } from "../http/errors.ts";
import type { OrgPolicies } from "../policy/org-policy.ts";
import { activeAutoModel, AUTO, AUTO_ORG, autoOrgOf, autoTarget, FinalRefusal, keepOwnKey, ownKeyGone } from "./auto-model.ts";
import { effectiveWeights, leastBadFirst, type HealthBoard } from "./health-board.ts";
import { modelTarget, type TargetSources } from "./model-target.ts";
import { healthKeyOf, ROUTE_PREFIX, type NamedRoute } from "./route-definition.ts";
import { splitOrder, splitPoint } from "./split.ts";

/** How routes are found: the caller's scope first, then the operator's; aliases stand for plain model ids. */
export interface RouteLookup {
  find(scope: OwnerScope | null, name: string): Promise<NamedRoute | undefined>;
  alias(modelId: string): Promise<NamedRoute | undefined>;
}

export interface ResolveSources {
  targets: TargetSources;
  routes: RouteLookup;
  /** Null when no health is kept (then failover settings only order, never shift, traffic). */
  health: HealthBoard | null;
  /** Organizations' plans and settings (the auto model). */
  orgs: OrgPolicies;
}

/** The request's own facts that steer resolution. */
export interface ResolveContext {
  caller: Caller;
  /** x-gateway-task-id: keeps a task on one target of a split. */
  taskId: string | null;
  /** x-gateway-mode: which of the organization's auto routes to take. */
  mode: string | null;
  waitUntil: WaitUntil;
}

/** A candidate that could not be resolved for this caller, and why (never a secret). */
export interface Skip {
  model: string;
  error: GatewayError;
}

export interface Resolution {
  targets: UpstreamTarget[];
  skipped: Skip[];
}

/** Routes nest at most this deep (route -> route -> …); deeper or cyclic is refused when saved, and skipped here. */
const MAX_DEPTH = 4;

interface Path {
  depth: number;
  /** Routes being expanded, by id: a cycle that slipped past the save-time check ends here. */
  seen: ReadonlySet<string>;
  /** Inside an alias route, its own model id means the plain model, not the alias again. */
  aliasing: string | null;
}

/**
 * Every target answers for the first id the client sent (`model`, else the first of `models`):
 * whichever candidate serves, the body carries that id; the headers and `resolvedModel` say
 * what served.
 */
export async function resolveRequest(ids: readonly string[], ctx: ResolveContext, src: ResolveSources): Promise<Resolution> {
  const out: Resolution = { targets: [], skipped: [] };
  const root: Path = { depth: 0, seen: new Set(), aliasing: null };
  const clientModel = ids[0] ?? "";
  for (const id of ids) await resolveInto(out, id, clientModel, ctx, src, root);
  if (out.targets.length === 0) throw unresolved(out.skipped);
  return out;
}

/** Nothing could be resolved: the one reason as it is, or every reason. */
function unresolved(skipped: readonly Skip[]): GatewayError {
  const last = skipped.at(-1)?.error ?? new GatewayError(404, "model_not_found", "No model was named.", "model");
  if (skipped.length <= 1) return last;
  const reasons = skipped.map((s) => `${s.model}: ${s.error.message}`).join(" ");
  return new GatewayError(last.status, last.code, `No candidate can serve this request. ${reasons}`, last.param, last.headers);
}

async function resolveInto(out: Resolution, id: string, clientModel: string, ctx: ResolveContext, src: ResolveSources, path: Path): Promise<void> {
  try {
    if (id === AUTO_ORG) return await expandAuto(out, clientModel, ctx, src, path);
    if (id === AUTO) {
      const route = await src.routes.find(null, AUTO);
      if (!route) throw new GatewayError(404, "model_not_found", `This gateway has no default auto route ("${AUTO}"); use "${AUTO_ORG}" or a model id.`, "model");
      return await expand(out, route, clientModel, ctx, src, path);
    }
    if (id.startsWith(ROUTE_PREFIX)) {
      const name = id.slice(ROUTE_PREFIX.length);
      const scope = ctx.caller.kind === "anonymous" ? null : actingScope(ctx.caller);
      const route = await src.routes.find(scope, name);
      if (!route) throw new GatewayError(404, "named_route_not_found", `No route "${name}" (see GET /v1/routes).`, "model");
      return await expand(out, route, clientModel, ctx, src, path);
    }
    if (path.aliasing !== id) {
      const alias = await src.routes.alias(id);
      if (alias) return await expand(out, alias, clientModel, ctx, src, { ...path, aliasing: id });
    }
    const target = await modelTarget(id, ctx.caller, src.targets);
    out.targets.push(clientModel === id ? target : { ...target, model: clientModel });
  } catch (err) {
    if (!(err instanceof GatewayError) || err instanceof FinalRefusal) throw err;
    out.skipped.push({ model: id, error: err });
  }
}

/** `auto/org`: the acting organization's auto model, for the client's mode. */
async function expandAuto(out: Resolution, clientModel: string, ctx: ResolveContext, src: ResolveSources, path: Path): Promise<void> {
  const org = autoOrgOf(ctx.caller);
  const auto = activeAutoModel(org, await src.orgs.get(org));
  const target = autoTarget(auto, ctx.mode);
  const before = { targets: out.targets.length, skipped: out.skipped.length };
  await resolveInto(out, target, clientModel, ctx, src, path);
  for (const t of out.targets.slice(before.targets)) keepOwnKey(auto, t);
  // A candidate on the organization's own key that cannot be resolved any more (the key is gone or
  // no longer opens), at any depth of a route, must not leave room for another candidate either.
  for (const s of out.skipped.slice(before.skipped)) {
    const provider = s.model.slice(0, Math.max(0, s.model.indexOf("/")));
    if (s.error.code === "upstream_unavailable" || auto.byok_providers?.includes(provider)) throw ownKeyGone(provider);
  }
}

/** The caller's sticky key for a split: the task, else the user (or organization key's organization). */
function stickyKey(route: NamedRoute, ctx: ResolveContext): string | null {
  const caller = ctx.caller;
  const user = caller.kind === "user" ? `user:${caller.userId}` : caller.kind === "org" ? `org:${caller.orgId}` : null;
  if (route.definition.sticky === "user") return user;
  return ctx.taskId !== null ? `task:${ctx.taskId}` : user;
}

/** The order a route's targets are tried in: its list, or a weighted pick first; healthy before cooling. */
function order(route: NamedRoute, ctx: ResolveContext, health: HealthBoard | null): number[] {
  const def = route.definition;
  const views = health && def.failover ? def.targets.map((_, i) => health.view(healthKeyOf(route, i))) : null;
  if (def.strategy === "weighted") {
    const base = def.targets.map((t) => t.weight ?? 1);
    const weights = views ? effectiveWeights(base, views) : base;
    return splitOrder(weights, splitPoint(stickyKey(route, ctx), route.id));
  }
  // A fallback list with failover: healthy targets in their order, then the least failing.
  return views ? leastBadFirst(views) : def.targets.map((_, i) => i);
}

async function expand(out: Resolution, route: NamedRoute, clientModel: string, ctx: ResolveContext, src: ResolveSources, path: Path): Promise<void> {
  if (path.depth >= MAX_DEPTH || path.seen.has(route.id)) {
    // Refused when saved; a caller's own scope can still close a loop (their route named like one an
    // organization route points to), so it is the caller's to fix.
    throw new GatewayError(400, "route_cycle", `Route "${route.name}" leads back to itself or nests more than ${MAX_DEPTH} deep.`, "model");
  }
  const def = route.definition;
  if (def.failover && src.health) {
    const settings = { errorRateThreshold: def.failover.error_rate_threshold, windowMs: def.failover.window_s * 1000, minRequests: def.failover.min_requests, cooldownMs: def.failover.cooldown_s * 1000 };
    def.targets.forEach((_, i) => src.health?.track(healthKeyOf(route, i), settings));
    src.health.refresh(ctx.waitUntil);
  }
  const inner: Path = { depth: path.depth + 1, seen: new Set([...path.seen, route.id]), aliasing: path.aliasing };
  for (const i of order(route, ctx, src.health)) {
    const before = out.targets.length;
    await resolveInto(out, def.targets[i]!.model, clientModel, ctx, src, inner);
    // This route's retry and health apply to what its entry resolved to, unless a nested route set its own.
    for (const target of out.targets.slice(before)) {
      if (target.retry === null && def.retry) target.retry = { attempts: def.retry.attempts, onStatus: def.retry.on_status ?? null };
      if (target.health === null && def.failover) target.health = healthKeyOf(route, i);
    }
  }
}
