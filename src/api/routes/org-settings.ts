import type { IRequest } from "itty-router";
import type { Caller } from "../../domain/caller.ts";
import { identify } from "../../auth/identify.ts";
import { getOrgSettings, orgSettingsSchema, putOrgSettings } from "../../store/repos/orgs.ts";
import { GatewayError } from "../../http/errors.ts";
import { json } from "../../http/json.ts";
import { readJson } from "../../http/read-json.ts";
import type { OrgPolicies } from "../../policy/org-policy.ts";
import type { Services } from "../../services.ts";

// Unknown keys are refused rather than silently dropped: a typo must not look like a policy.
const settingsBody = orgSettingsSchema.strict();

/** Members (and the organization's own keys) may read; only admins and owners may write. */
async function access(caller: Caller, orgId: string, svc: Services): Promise<"read" | "write"> {
  if (caller.kind === "anonymous") throw new GatewayError(401, "missing_token", "Sign in with an API key or token first.");
  if (caller.kind === "org") {
    if (caller.orgId !== orgId) throw new GatewayError(403, "not_org_member", "This API key belongs to another organization.");
    // A leaked organization key must not be able to loosen its own organization's policy.
    return "read";
  }
  const role = await svc.identities.role(orgId, caller.userId);
  if (!role) throw new GatewayError(403, "not_org_member", "You are not a member of this organization.");
  return role === "member" ? "read" : "write";
}

/** GET/PUT /v1/orgs/{id}/settings: the organization's allow-lists and policy (API.md). */
export const orgSettingsRoutes = (svc: Services, policies: OrgPolicies) => ({
  async get(request: IRequest) {
    const id = request.params.id ?? "";
    await access(await identify(request, svc.auth), id, svc);
    const settings = await getOrgSettings(svc.db, id);
    if (!settings) throw new GatewayError(404, "org_not_found", `No organization "${id}".`);
    return json(settings);
  },

  async put(request: IRequest) {
    const id = request.params.id ?? "";
    if ((await access(await identify(request, svc.auth), id, svc)) !== "write") {
      throw new GatewayError(403, "not_org_admin", "Changing an organization's settings needs its admin or owner role.");
    }
    const settings = await readJson(request, settingsBody);
    if (!(await putOrgSettings(svc.db, id, settings))) throw new GatewayError(404, "org_not_found", `No organization "${id}".`);
    // This isolate applies the new policy at once; others within the cache TTL (30 s).
    policies.forget(id);
    return json(settings);
  },
});
