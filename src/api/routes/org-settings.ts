// GET/PUT /v1/orgs/{id}/settings: the organization's allow-lists and policy. Members (and the
// organization's own keys) read; admins and owners write. The auto model (enterprise plan only)
// is checked against what the organization can use, and saved on the condition that all of it
// still holds at the moment of writing (store/repos/org-settings-save.ts).
import type { z } from "zod";
import { authorize } from "../../access/owners.ts";
import type { Container } from "../../container/container.ts";
import { GatewayError } from "../../http/errors.ts";
import { compileOrgPolicy } from "../../policy/org-policy.ts";
import { checkAutoModel, enterpriseRequired, refusedSave } from "../../routing/auto-model-check.ts";
import { saveOrgSettingsIf } from "../../store/repos/org-settings-save.ts";
import { getOrg, getOrgSettings, orgSettingsSchema, putOrgSettings, putOrgSettingsKeepingDormant, type OrgSettings } from "../../store/repos/orgs.ts";
import { signedInCaller } from "../auth.ts";
import { route } from "../route.ts";
import { orgSettingsBody } from "../schemas/account.ts";

const notMember = () => new GatewayError(403, "not_org_member", "You are not a member of this organization.");
const noOrg = (id: string) => new GatewayError(404, "org_not_found", `No organization "${id}".`);

/**
 * Saves the settings (a PUT replaces them). The auto model: null removes it; left out, it is
 * removed too, except on a plan without it, where it stays dormant (a downgrade must not lose it
 * at the next edit of the lists); a new one saves only on the enterprise plan and only if every
 * target it relies on still holds.
 */
async function saveSettings(c: Container, id: string, settings: z.output<typeof orgSettingsBody>): Promise<OrgSettings> {
  const { auto_model: auto, ...rest } = settings;
  if (auto === undefined) {
    const stored = await putOrgSettingsKeepingDormant(c.db, id, rest);
    if (!stored) throw noOrg(id);
    return stored;
  }
  if (auto === null) {
    if (!(await putOrgSettings(c.db, id, rest))) throw noOrg(id);
    return rest;
  }
  // Read first to answer plainly; the write asserts the plan again.
  const org = await getOrg(c.db, id);
  if (!org) throw noOrg(id);
  if (org.plan !== "enterprise") throw enterpriseRequired(id, org.plan);
  const { passthrough, providers, builtinBaseUrls } = c.targets;
  const checked = await checkAutoModel({ db: c.db, passthrough, providers, builtinBaseUrls, configRoutes: c.configRoutes }, id, auto, compileOrgPolicy(rest, org.plan));
  const stored: OrgSettings = { ...rest, auto_model: checked.autoModel };
  const facts = checked.accepted.flatMap((a) => a.facts);
  const result = await saveOrgSettingsIf(c.db, id, stored, { enterprise: true, facts });
  if (!result.saved) throw refusedSave(id, result.failed, checked);
  return stored;
}

export const getOrgSettingsRoute = route({
  id: "getOrgSettings",
  method: "GET",
  path: "/v1/orgs/{id}/settings",
  summary: "Reads an organization's settings (members).",
  tag: "organizations",
  auth: signedInCaller,
  answer: { status: 200, schema: orgSettingsSchema },
  errors: [403, 404],
  async handler({ c, caller, params }) {
    const id = params.id ?? "";
    await authorize(c.identities.role, caller, { type: "org", id }, "read", notMember);
    const settings = await getOrgSettings(c.db, id);
    if (!settings) throw noOrg(id);
    return settings;
  },
});

export const putOrgSettingsRoute = route({
  id: "putOrgSettings",
  method: "PUT",
  path: "/v1/orgs/{id}/settings",
  summary: "Replaces an organization's settings (admins and owners); `auto_model` needs the enterprise plan.",
  tag: "organizations",
  auth: signedInCaller,
  body: orgSettingsBody,
  answer: { status: 200, schema: orgSettingsSchema },
  errors: [400, 403, 404, 409],
  async handler({ c, caller, params, body }) {
    const id = params.id ?? "";
    await authorize(c.identities.role, caller, { type: "org", id }, "write", notMember);
    const saved = await saveSettings(c, id, await body());
    c.events.emit("orgChanged", id);
    return saved;
  },
});
