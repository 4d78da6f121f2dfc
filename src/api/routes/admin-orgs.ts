import type { IRequest } from "itty-router";
import { createOrg, deleteMember, deleteOrg, putMember } from "../../store/repos/orgs.ts";
import { GatewayError } from "../../http/errors.ts";
import { json } from "../../http/json.ts";
import { UNIQUE_VIOLATION, sqlState } from "../../store/pg-error.ts";
import { readJson } from "../../http/read-json.ts";
import type { Services } from "../../services.ts";
import { createOrgBody, memberBody } from "../schemas/admin.ts";

export const orgRoutes = (svc: Services) => ({
  async create(request: IRequest) {
    const body = await readJson(request, createOrgBody);
    try {
      const org = await createOrg(svc.db, body);
      return json({ id: org.id, name: org.name, plan: org.plan, credit_microdollars: org.creditMicrodollars, created_at: org.createdAt }, 201);
    } catch (err) {
      if (sqlState(err) === UNIQUE_VIOLATION) throw new GatewayError(409, "conflict", "An organization with this id already exists.");
      throw err;
    }
  },

  async remove(request: IRequest) {
    const id = request.params.id ?? "";
    if (!(await deleteOrg(svc.db, id))) throw new GatewayError(404, "org_not_found", `No organization "${id}".`);
    svc.identities.forgetAll();
    svc.invalidateOwner({ type: "org", id });
    return new Response(null, { status: 204 });
  },

  async putMember(request: IRequest) {
    const { id = "", userId = "" } = request.params;
    const { role } = await readJson(request, memberBody);
    if (!(await putMember(svc.db, id, userId, role))) {
      throw new GatewayError(404, "not_found", `No organization "${id}" or no user "${userId}".`);
    }
    svc.identities.forgetRole(id, userId);
    // Membership decides whose upstreams and keys the user reaches.
    svc.invalidateOwner({ type: "user", id: userId });
    return json({ org_id: id, user_id: userId, role });
  },

  async removeMember(request: IRequest) {
    const { id = "", userId = "" } = request.params;
    if (!(await deleteMember(svc.db, id, userId))) throw new GatewayError(404, "not_found", `"${userId}" is not a member of "${id}".`);
    svc.identities.forgetRole(id, userId);
    svc.invalidateOwner({ type: "user", id: userId });
    return new Response(null, { status: 204 });
  },
});
