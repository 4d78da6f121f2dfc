// The organization auto model (`auto/org`): the client's mode (x-gateway-mode) picks the model or
// route the organization chose for it. Enterprise plan only; a plan downgrade leaves it saved but
// dormant. Targets the organization saved on its own key are never served on the operator's.
import type { Caller } from "../domain/caller.ts";
import type { UpstreamTarget } from "../domain/target.ts";
import { GatewayError } from "../http/errors.ts";
import type { OrgPolicy } from "../policy/org-policy.ts";

export const AUTO_ORG = "auto/org";
/** The operator's default auto route: `auto` alone. */
export const AUTO = "auto";

/** Legacy mode names, read as the modes they became. */
const MODE_ALIASES: Readonly<Record<string, string>> = { build: "code", plan: "architect" };

type AutoModel = NonNullable<OrgPolicy["autoModel"]>;

/** A failure that must end the request, even with other candidates left (no other provider may be called). */
export class FinalRefusal extends GatewayError {}

/** The organization an `auto/org` request acts for, or the 400 that says how to name one. */
export function autoOrgOf(caller: Caller): string {
  if (caller.kind === "org") return caller.orgId;
  if (caller.kind === "user" && caller.org) return caller.org.id;
  throw new GatewayError(400, "organization_required", `"${AUTO_ORG}" acts for an organization: send x-gateway-org, or use an organization's API key.`, "model");
}

/** The organization's auto model, if it may serve now; otherwise the error that says why not. */
export function activeAutoModel(org: string, policy: OrgPolicy): AutoModel {
  if (policy.plan === null) throw new GatewayError(404, "org_not_found", `No organization "${org}".`);
  if (policy.plan !== "enterprise") {
    throw new GatewayError(403, "enterprise_plan_required", `The auto model of organization "${org}" needs the enterprise plan (it is on "${policy.plan}"); its routes are kept and answer again once the plan is enterprise.`, "model");
  }
  const auto = policy.autoModel;
  if (!auto) throw new GatewayError(404, "model_not_found", `Organization "${org}" has no auto model (PUT /v1/orgs/${org}/settings with auto_model).`, "model");
  if (!auto.enabled) throw new GatewayError(403, "auto_model_disabled", `The auto model of organization "${org}" is disabled.`, "model");
  return auto;
}

/** The model id `mode` goes to: its own route, else a legacy alias's, else the fallback model. */
export function autoTarget(auto: AutoModel, mode: string | null): string {
  // The mode is the client's header: only the records' own keys count (never `constructor`, `__proto__`).
  const own = <T>(record: Readonly<Record<string, T>>, key: string): T | undefined => (Object.hasOwn(record, key) ? record[key] : undefined);
  if (mode !== null) {
    const exact = own(auto.routes, mode);
    if (exact !== undefined) return exact;
    const alias = own(MODE_ALIASES, mode);
    const aliased = alias === undefined ? undefined : own(auto.routes, alias);
    if (aliased !== undefined) return aliased;
  }
  return auto.fallback_model;
}

/**
 * A target of a provider the organization saved on its own key must still be served on that key:
 * if the key is gone (or no longer opens), the answer is a clear 503 and no other provider is called.
 */
export function keepOwnKey(auto: AutoModel, target: UpstreamTarget): void {
  if (auto.byok_providers?.includes(target.providerId) && target.charge.kind !== "owner") throw ownKeyGone(target.providerId);
}

export const ownKeyGone = (provider: string): FinalRefusal =>
  new FinalRefusal(503, "upstream_unavailable", `The organization's own ${provider} key, which its auto model uses, is no longer available; save it again (PUT /v1/byok-keys/${provider}). No other provider was called.`);
