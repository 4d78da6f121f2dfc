// Pipeline step "policy", organization part: the acting organization's model allow-list and
// provider allow/deny lists, and its own rate limits. Settings are cached per isolate so a warm
// request reads no database; a PUT through this isolate drops its entry at once.
import { z } from "zod";
import { TtlCache } from "../cache/ttl-cache.ts";
import type { Db } from "../store/db.ts";
import { getOrgPlanAndSettings, type OrgSettings, type Plan } from "../store/repos/orgs.ts";
import { GatewayError } from "../http/errors.ts";

/**
 * An organization's own limits, across all its keys and members: `rate_limits` in its
 * settings. Read defensively (a malformed value is ignored, not fatal) and typed here, so this
 * works whether or not the stored schema lists the field yet.
 */
export const orgRateLimitsSchema = z.object({
  rpm: z.number().int().min(0).nullable().optional(),
  tpm: z.number().int().min(0).nullable().optional(),
});

export interface OrgLimits {
  rpm: number | null;
  tpm: number | null;
}

/** What the chat path needs from an organization's settings, prepared once per cache load. */
export interface OrgPolicy {
  models: ReadonlySet<string> | null;
  /** `<provider>/*` entries of the model allow-list. */
  modelPrefixes: readonly string[];
  providersAllowed: ReadonlySet<string> | null;
  providersDenied: ReadonlySet<string>;
  limits: OrgLimits | null;
  /** Null when there is no such organization. */
  plan: Plan | null;
  /** The auto model as saved (dormant unless the plan is enterprise and it is enabled). */
  autoModel: OrgSettings["auto_model"] | null;
}

export function readOrgLimits(settings: OrgSettings): OrgLimits | null {
  const fields: Record<string, unknown> = settings;
  const parsed = orgRateLimitsSchema.safeParse(fields.rate_limits);
  if (!parsed.success || parsed.data === undefined) return null;
  const rpm = parsed.data.rpm ?? null;
  const tpm = parsed.data.tpm ?? null;
  return rpm === null && tpm === null ? null : { rpm, tpm };
}

const lower = (xs: readonly string[]) => xs.map((x) => x.toLowerCase());

export function compileOrgPolicy(settings: OrgSettings, plan: Plan | null = null): OrgPolicy {
  const list = settings.model_allowlist;
  return {
    plan,
    autoModel: settings.auto_model ?? null,
    models: list ? new Set(list.filter((m) => !m.endsWith("/*"))) : null,
    modelPrefixes: list ? list.filter((m) => m.endsWith("/*")).map((m) => m.slice(0, -1)) : [],
    providersAllowed: settings.provider_allowlist ? new Set(lower(settings.provider_allowlist)) : null,
    providersDenied: new Set(lower(settings.provider_denylist ?? [])),
    limits: readOrgLimits(settings),
  };
}

/** Throws 403 when the organization's lists rule the model or its provider out. */
export function checkAllowLists(policy: OrgPolicy, model: string, providerId: string): void {
  if (policy.models !== null && !policy.models.has(model) && !policy.modelPrefixes.some((p) => model.startsWith(p))) {
    throw new GatewayError(403, "model_not_allowed", `Your organization does not allow the model "${model}".`, "model");
  }
  const provider = providerId.toLowerCase();
  if (policy.providersDenied.has(provider) || (policy.providersAllowed !== null && !policy.providersAllowed.has(provider))) {
    throw new GatewayError(403, "provider_not_allowed", `Your organization does not allow the provider "${providerId}" (it would serve "${model}").`, "model");
  }
}

const NO_POLICY: OrgPolicy = compileOrgPolicy({});

export class OrgPolicies {
  readonly #cache: TtlCache<OrgPolicy>;

  constructor(
    private readonly db: Db,
    opts: { ttlMs?: number; now?: () => number } = {},
  ) {
    const ttlMs = opts.ttlMs ?? 30_000;
    this.#cache = new TtlCache({ ttlMs, negativeTtlMs: ttlMs, maxEntries: 10_000, ...(opts.now ? { now: opts.now } : {}) });
  }

  /** The organization's compiled policy; no restrictions when it has no settings row. */
  async get(orgId: string): Promise<OrgPolicy> {
    return (await this.#cache.get(orgId, async () => {
      const found = await getOrgPlanAndSettings(this.db, orgId);
      return found && compileOrgPolicy(found.settings, found.plan);
    })) ?? NO_POLICY;
  }

  forget(orgId: string): void {
    this.#cache.delete(orgId);
  }
}
