// Operator API: users.
import { GatewayError } from "../../http/errors.ts";
import { unlessDuplicate } from "../unique.ts";
import { createUser, deleteUser, rotatePepper, type User } from "../../store/repos/users.ts";
import { operator } from "../auth.ts";
import { route } from "../route.ts";
import { createUserBody, pepperView, userView } from "../schemas/admin.ts";
import { empty } from "../schemas/common.ts";

/** A user as the operator API shows it: never the pepper (only its rotation returns it). */
const view = (u: User) => ({
  id: u.id,
  email: u.email,
  blocked: u.blocked,
  credit_microdollars: u.creditMicrodollars,
  created_at: u.createdAt.toISOString(),
});

const tag = "operator";

export const createUserRoute = route({
  id: "createUser",
  method: "POST",
  path: "/admin/users",
  summary: "Creates a user (`id` generated when absent).",
  tag,
  auth: operator,
  body: createUserBody,
  answer: { status: 201, schema: userView },
  errors: [400, 409],
  async handler({ c, body }) {
    const input = await body();
    return view(await unlessDuplicate(() => createUser(c.db, input), () => new GatewayError(409, "conflict", "A user with this id or email already exists.")));
  },
});

export const deleteUserRoute = route({
  id: "deleteUser",
  method: "DELETE",
  path: "/admin/users/{id}",
  summary: "Deletes a user and every secret they own (BYOK keys, custom upstreams, API keys).",
  tag,
  auth: operator,
  answer: { status: 204, schema: empty },
  errors: [404],
  async handler({ c, params }) {
    const id = params.id ?? "";
    if (!(await deleteUser(c.db, id))) throw new GatewayError(404, "user_not_found", `No user "${id}".`);
    // Keys, memberships and secrets went with the row (ON DELETE CASCADE).
    c.events.emit("ownerDeleted", { type: "user", id });
    return undefined;
  },
});

export const rotatePepperRoute = route({
  id: "rotateUserPepper",
  method: "POST",
  path: "/admin/users/{id}/pepper",
  summary: "Rotates the user's token pepper, revoking every JWT that carries the old one.",
  tag,
  auth: operator,
  answer: { status: 200, schema: pepperView },
  errors: [404],
  async handler({ c, params }) {
    const id = params.id ?? "";
    const pepper = await rotatePepper(c.db, id);
    if (pepper === undefined) throw new GatewayError(404, "user_not_found", `No user "${id}".`);
    c.events.emit("userChanged", id);
    // The operator signs users' JWTs, so it needs the new value to put in their `pepper` claim.
    return { id, pepper };
  },
});
