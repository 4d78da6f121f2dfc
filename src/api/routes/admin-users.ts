import type { IRequest } from "itty-router";
import { createUser, deleteUser, rotatePepper } from "../../store/repos/users.ts";
import { GatewayError } from "../../http/errors.ts";
import { json } from "../../http/json.ts";
import { UNIQUE_VIOLATION, sqlState } from "../../store/pg-error.ts";
import { readJson } from "../../http/read-json.ts";
import type { Services } from "../../services.ts";
import { createUserBody } from "../schemas/admin.ts";

type User = Awaited<ReturnType<typeof createUser>>;

/** A user as the operator API shows it: never the pepper (only its rotation returns it). */
export const userView = (u: User) => ({
  id: u.id,
  email: u.email,
  blocked: u.blocked,
  credit_microdollars: u.creditMicrodollars,
  created_at: u.createdAt,
});

export const userRoutes = (svc: Services) => ({
  async create(request: IRequest) {
    const body = await readJson(request, createUserBody);
    try {
      return json(userView(await createUser(svc.db, body)), 201);
    } catch (err) {
      if (sqlState(err) === UNIQUE_VIOLATION) throw new GatewayError(409, "conflict", "A user with this id or email already exists.");
      throw err;
    }
  },

  async remove(request: IRequest) {
    const id = request.params.id ?? "";
    if (!(await deleteUser(svc.db, id))) throw new GatewayError(404, "user_not_found", `No user "${id}".`);
    // Keys, memberships and secrets went with the row (ON DELETE CASCADE); forget what we cached.
    svc.identities.forgetAll();
    svc.invalidateOwner({ type: "user", id });
    return new Response(null, { status: 204 });
  },

  async rotatePepper(request: IRequest) {
    const id = request.params.id ?? "";
    const pepper = await rotatePepper(svc.db, id);
    if (pepper === undefined) throw new GatewayError(404, "user_not_found", `No user "${id}".`);
    svc.identities.forgetUser(id);
    // The operator signs users' JWTs, so it needs the new value to put in their `pepper` claim.
    return json({ id, pepper });
  },
});
