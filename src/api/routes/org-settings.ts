// GET/PUT /v1/orgs/{id}/settings: the organization's allow-lists and policy. Members (and the
// organization's own keys) read; admins and owners write.
import { authorize } from "../../access/owners.ts";
import { GatewayError } from "../../http/errors.ts";
import { getOrgSettings, orgSettingsSchema, putOrgSettings } from "../../store/repos/orgs.ts";
import { signedInCaller } from "../auth.ts";
import { route } from "../route.ts";
import { orgSettingsBody } from "../schemas/account.ts";

const notMember = () => new GatewayError(403, "not_org_member", "You are not a member of this organization.");
const noOrg = (id: string) => new GatewayError(404, "org_not_found", `No organization "${id}".`);

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
  summary: "Replaces an organization's settings (admins and owners).",
  tag: "organizations",
  auth: signedInCaller,
  body: orgSettingsBody,
  answer: { status: 200, schema: orgSettingsSchema },
  errors: [400, 403, 404],
  async handler({ c, caller, params, body }) {
    const id = params.id ?? "";
    await authorize(c.identities.role, caller, { type: "org", id }, "write", notMember);
    const settings = await body();
    if (!(await putOrgSettings(c.db, id, settings))) throw noOrg(id);
    c.events.emit("orgChanged", id);
    return settings;
  },
});
