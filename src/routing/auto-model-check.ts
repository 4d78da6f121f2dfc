// The save-time check of an organization's auto model: every target (the fallback model and each
// mode's) must be usable by the organization as a request acting for it would resolve it — its
// own route or the operator's, its enabled custom upstream, its own key for a built-in provider,
// else the operator's key under the catalog rule — and pass the allow/deny lists being saved.
// The check answers which facts it relied on; the store asserts them again in the write itself.
import { GatewayError } from "../http/errors.ts";
import type { Db } from "../store/db.ts";
import { checkAllowLists, type OrgPolicy } from "../policy/org-policy.ts";
import { getModel } from "../store/repos/catalog.ts";
import { factHolds, factKey, type ConditionalSave, type SettingsFact } from "../store/repos/org-settings-save.ts";
import type { OrgSettings } from "../store/repos/orgs.ts";
import type { TargetSources } from "./model-target.ts";
import type { NamedRoute } from "./route-definition.ts";
import { MAX_ROUTE_DEPTH } from "./route-graph.ts";
import { isAliasName, ROUTE_SLUG, routeNameOf } from "./route-name.ts";
import { findOperatorRoute, findOwnedRoute, type StoredRoute } from "./route-store.ts";

export type StoredAutoModel = NonNullable<OrgSettings["auto_model"]>;
export type AutoModelInput = Omit<StoredAutoModel, "byok_providers">;

export interface AutoModelSources extends Pick<TargetSources, "passthrough" | "providers" | "builtinBaseUrls"> {
  db: Db;
  /** GATEWAY_ROUTES, checked. */
  configRoutes: readonly StoredRoute[];
}

/** An accepted target and the facts it relies on (none for what only configuration decides). */
interface Accepted {
  param: string;
  model: string;
  facts: readonly SettingsFact[];
  /** The built-in providers it is served by on the organization's own key (through a route: any it can end in). */
  byok: readonly string[];
}

export interface CheckedAutoModel {
  /** What to store: the auto model with the providers it uses on the organization's own key. */
  autoModel: StoredAutoModel;
  accepted: readonly Accepted[];
}

/** Why a target cannot be used; the caller names which target. */
class Refusal extends Error {}

type Resolved = { kind: "route"; route: StoredRoute } | { kind: "model"; fact: SettingsFact | null; byok: string | null };

const SAVING = "while these settings were being saved";

/** `route/<name>` as a request acting for the organization finds it: its own route, else the operator's. */
async function orgRoute(src: AutoModelSources, orgId: string, name: string): Promise<StoredRoute | undefined> {
  if (!ROUTE_SLUG.test(name)) return undefined;
  return (await findOwnedRoute(src.db, [{ type: "org", id: orgId }], name)) ?? (await findOperatorRoute(src.db, src.configRoutes, name));
}

const routeFact = (route: StoredRoute): SettingsFact | null => (route.source === "api" ? { kind: "route", id: route.id } : null);

/** The same order as resolve.ts and model-target.ts, for the organization's scope. */
async function resolveForOrg(src: AutoModelSources, orgId: string, model: string): Promise<Resolved> {
  const name = routeNameOf(model);
  if (name !== undefined) {
    const route = await orgRoute(src, orgId, name);
    if (!route) throw new Refusal("names no route this organization can use (see GET /v1/routes)");
    return { kind: "route", route };
  }
  const alias = isAliasName(model) ? await findOperatorRoute(src.db, src.configRoutes, model) : undefined;
  if (alias) return { kind: "route", route: alias };

  const slash = model.indexOf("/");
  if (slash <= 0 || slash === model.length - 1) throw new Refusal('is neither a model id "<provider>/<model>" nor a route "route/<name>"');
  const providerId = model.slice(0, slash);
  const entry = await getModel(src.db, model);
  if (entry && !entry.enabled) throw new Refusal("is disabled on this gateway");
  if (await factHolds(src.db, orgId, { kind: "upstream", providerId })) return { kind: "model", fact: { kind: "upstream", providerId }, byok: null };
  const builtin = src.builtinBaseUrls.has(providerId);
  const ownKey: SettingsFact = { kind: "byok_key", provider: providerId };
  if (builtin && (await factHolds(src.db, orgId, ownKey))) return { kind: "model", fact: ownKey, byok: providerId };

  const own = builtin ? "neither a custom upstream nor a key of its own" : "no custom upstream";
  if (!src.providers.has(providerId)) throw new Refusal(`is not available: provider "${providerId}" is not served on this gateway's key, and the organization has ${own} for it`);
  const priced = entry !== undefined && (entry.free || (entry.inputPrice !== null && entry.outputPrice !== null));
  if (priced) return { kind: "model", fact: { kind: "catalog", model, priced: true }, byok: null };
  // Pass-through pricing serves unlisted and unpriced models at the upstream's reported cost.
  if (src.passthrough) return { kind: "model", fact: entry ? { kind: "catalog", model, priced: false } : null, byok: null };
  if (!entry) throw new Refusal(`is not in this gateway's catalog (see GET /v1/models), and the organization has ${own} for "${providerId}"`);
  throw new Refusal("has no price in this gateway's catalog, so the gateway's key does not serve it");
}

/** Why the lists rule `model` out, or null. */
function listProblem(policy: OrgPolicy, model: string): string | null {
  try {
    checkAllowLists(policy, model, model.slice(0, model.indexOf("/")));
    return null;
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err;
    return err.code === "model_not_allowed" ? "model_allowlist" : "provider_allowlist/provider_denylist";
  }
}

/** The plain model ids a route can end in for the organization, through nested routes as deep as a request goes. */
async function reachableModels(src: AutoModelSources, orgId: string, route: NamedRoute, seen: ReadonlySet<string>): Promise<string[]> {
  if (seen.size >= MAX_ROUTE_DEPTH || seen.has(route.id)) return [];
  const path = new Set([...seen, route.id]);
  const out: string[] = [];
  for (const { model } of route.definition.targets) {
    const inner = routeNameOf(model);
    if (inner === undefined) {
      // An id without a provider serves nobody (refused per request).
      if (model.indexOf("/") > 0) out.push(model);
      continue;
    }
    const next = await orgRoute(src, orgId, inner);
    if (next) out.push(...(await reachableModels(src, orgId, next, path)));
  }
  return out;
}

/** A plain model must pass the lists; a route, through at least one model it can end in (requests skip the others). */
async function checkLists(src: AutoModelSources, orgId: string, policy: OrgPolicy, model: string, resolved: Resolved): Promise<void> {
  if (resolved.kind === "model") {
    const problem = listProblem(policy, model);
    if (problem !== null) throw new Refusal(`is ruled out by these settings' ${problem}`);
    return;
  }
  const models = await reachableModels(src, orgId, resolved.route, new Set());
  if (models.length === 0) throw new Refusal("leads to no model this organization can name");
  if (models.every((m) => listProblem(policy, m) !== null)) throw new Refusal(`only leads to models these settings' lists rule out (${models.join(", ")})`);
}

const invalid = (param: string, model: string, why: string) => new GatewayError(400, "invalid_auto_model", `${param}: "${model}" ${why}.`, param);

/**
 * The organization's own keys a route can end on: each is recorded (so a request never serves
 * that provider on the operator's key instead) and asserted when the settings are written.
 */
async function ownKeysThrough(src: AutoModelSources, orgId: string, route: NamedRoute): Promise<string[]> {
  const providers = new Set((await reachableModels(src, orgId, route, new Set())).map((m) => m.slice(0, m.indexOf("/"))));
  const own: string[] = [];
  for (const provider of providers) {
    if (src.builtinBaseUrls.has(provider) && (await factHolds(src.db, orgId, { kind: "byok_key", provider }))) own.push(provider);
  }
  return own;
}

async function checkOne(src: AutoModelSources, orgId: string, policy: OrgPolicy, param: string, model: string): Promise<Accepted | GatewayError> {
  try {
    const resolved = await resolveForOrg(src, orgId, model);
    await checkLists(src, orgId, policy, model, resolved);
    if (resolved.kind === "model") return { param, model, facts: resolved.fact ? [resolved.fact] : [], byok: resolved.byok ? [resolved.byok] : [] };
    const route = routeFact(resolved.route);
    const byok = await ownKeysThrough(src, orgId, resolved.route);
    return { param, model, facts: [...(route ? [route] : []), ...byok.map((provider): SettingsFact => ({ kind: "byok_key", provider }))], byok };
  } catch (err) {
    if (err instanceof Refusal) return invalid(param, model, err.message);
    throw err;
  }
}

/** Checks every target (400 invalid_auto_model naming the first refused one); `policy` is compiled from the settings being saved. */
export async function checkAutoModel(src: AutoModelSources, orgId: string, auto: AutoModelInput, policy: OrgPolicy): Promise<CheckedAutoModel> {
  const targets: [string, string][] = [["auto_model.fallback_model", auto.fallback_model], ...Object.entries(auto.routes).map(([mode, model]): [string, string] => [`auto_model.routes.${mode}`, model])];
  const results = await Promise.all(targets.map(([param, model]) => checkOne(src, orgId, policy, param, model)));
  const accepted: Accepted[] = [];
  for (const r of results) {
    if (r instanceof GatewayError) throw r;
    accepted.push(r);
  }
  const byok = [...new Set(accepted.flatMap((a) => a.byok))].sort();
  return { autoModel: { enabled: auto.enabled, fallback_model: auto.fallback_model, routes: auto.routes, byok_providers: byok }, accepted };
}

export const enterpriseRequired = (orgId: string, plan: string): GatewayError =>
  new GatewayError(403, "enterprise_plan_required", `The auto model needs the enterprise plan; organization "${orgId}" is on "${plan}". Its other settings save without \`auto_model\`.`, "auto_model");

function goneWhy(fact: SettingsFact): string {
  switch (fact.kind) {
    case "byok_key":
      return `uses the organization's own ${fact.provider} key, which was deleted ${SAVING}`;
    case "upstream":
      return `is served by the organization's custom upstream "${fact.providerId}", which was deleted or disabled ${SAVING}`;
    case "catalog":
      return `lost its enabled${fact.priced ? ", priced" : ""} catalog entry ${SAVING}`;
    case "route":
      return `names a route that was deleted ${SAVING}`;
  }
}

/** The error for a conditional save that wrote nothing. */
export function refusedSave(orgId: string, failed: Extract<ConditionalSave, { saved: false }>["failed"], checked: CheckedAutoModel): GatewayError {
  switch (failed.kind) {
    case "org":
      return new GatewayError(404, "org_not_found", `No organization "${orgId}".`);
    case "plan":
      return new GatewayError(403, "enterprise_plan_required", `The auto model needs the enterprise plan; organization "${orgId}" left it ${SAVING}.`, "auto_model");
    case "changed":
      return new GatewayError(409, "conflict", `What the auto model relies on changed ${SAVING}; send them again.`, "auto_model");
    case "fact": {
      const key = factKey(failed.fact);
      const hit = checked.accepted.find((a) => a.facts.some((f) => factKey(f) === key));
      return invalid(hit?.param ?? "auto_model", hit?.model ?? "", goneWhy(failed.fact));
    }
  }
}
