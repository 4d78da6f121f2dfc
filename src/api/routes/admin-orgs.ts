// Operator API: organizations and their members.
import { GatewayError } from "../../http/errors.ts";
import { unlessDuplicate } from "../unique.ts";
import { createOrg, deleteMember, deleteOrg, putMember, updateOrg, type Org } from "../../store/repos/orgs.ts";
import { operator } from "../auth.ts";
import { route } from "../route.ts";
import { createOrgBody, memberBody, memberView, orgView, patchOrgBody } from "../schemas/admin.ts";
import { empty } from "../schemas/common.ts";

const tag = "operator";

const view = (org: Org) => ({ id: org.id, name: org.name, plan: org.plan, credit_microdollars: org.creditMicrodollars, created_at: org.createdAt.toISOString() });

export const createOrgRoute = route({
  id: "createOrg",
  method: "POST",
  path: "/admin/orgs",
  summary: "Creates an organization.",
  tag,
  auth: operator,
  body: createOrgBody,
  answer: { status: 201, schema: orgView },
  errors: [400, 409],
  async handler({ c, body }) {
    const input = await body();
    return view(await unlessDuplicate(() => createOrg(c.db, input), () => new GatewayError(409, "conflict", "An organization with this id already exists.")));
  },
});

export const updateOrgRoute = route({
  id: "updateOrg",
  method: "PATCH",
  path: "/admin/orgs/{id}",
  summary: "Renames an organization or changes its plan; a downgrade keeps its settings (what needs the higher plan lies dormant).",
  tag,
  auth: operator,
  body: patchOrgBody,
  answer: { status: 200, schema: orgView },
  errors: [400, 404],
  async handler({ c, params, body }) {
    const id = params.id ?? "";
    const org = await updateOrg(c.db, id, await body());
    if (!org) throw new GatewayError(404, "org_not_found", `No organization "${id}".`);
    // The plan decides whether the auto model answers (policy/org-policy.ts caches it).
    c.events.emit("orgChanged", id);
    return view(org);
  },
});

export const deleteOrgRoute = route({
  id: "deleteOrg",
  method: "DELETE",
  path: "/admin/orgs/{id}",
  summary: "Deletes an organization and every secret it owns.",
  tag,
  auth: operator,
  answer: { status: 204, schema: empty },
  errors: [404],
  async handler({ c, params }) {
    const id = params.id ?? "";
    if (!(await deleteOrg(c.db, id))) throw new GatewayError(404, "org_not_found", `No organization "${id}".`);
    c.events.emit("ownerDeleted", { type: "org", id });
    return undefined;
  },
});

export const putMemberRoute = route({
  id: "putOrgMember",
  method: "PUT",
  path: "/admin/orgs/{id}/members/{userId}",
  summary: "Adds a user to an organization or changes their role.",
  tag,
  auth: operator,
  body: memberBody,
  answer: { status: 200, schema: memberView },
  errors: [400, 404],
  async handler({ c, params, body }) {
    const { id = "", userId = "" } = params;
    const { role } = await body();
    if (!(await putMember(c.db, id, userId, role))) throw new GatewayError(404, "not_found", `No organization "${id}" or no user "${userId}".`);
    // Membership decides whose upstreams and keys the user reaches.
    c.events.emit("membershipChanged", { orgId: id, userId });
    return { org_id: id, user_id: userId, role };
  },
});

export const deleteMemberRoute = route({
  id: "deleteOrgMember",
  method: "DELETE",
  path: "/admin/orgs/{id}/members/{userId}",
  summary: "Removes a user from an organization.",
  tag,
  auth: operator,
  answer: { status: 204, schema: empty },
  errors: [404],
  async handler({ c, params }) {
    const { id = "", userId = "" } = params;
    if (!(await deleteMember(c.db, id, userId))) throw new GatewayError(404, "not_found", `"${userId}" is not a member of "${id}".`);
    c.events.emit("membershipChanged", { orgId: id, userId });
    return undefined;
  },
});
