// Who may call a route, as the route table declares it: each mode says how the caller is found
// and what the handler then holds.
import { signedIn } from "../access/owners.ts";
import { identify } from "../auth/identify.ts";
import { requireOperator } from "../auth/operator-token.ts";
import type { Container } from "../container/container.ts";
import type { Caller, SignedIn } from "../domain/caller.ts";
import type { RequestContext } from "../http/context.ts";

export type AuthMode = "public" | "optional" | "signed-in" | "operator";

export interface Auth<C> {
  mode: AuthMode;
  /** Finds the caller (throwing the 401/403 that says why not) and names them in the outcome. */
  who(request: Request, c: Container, rc: RequestContext): Promise<C>;
}

/** Anyone; no token is read. */
export const anyone: Auth<null> = { mode: "public", who: async () => null };

/** Anyone; a token, when sent, identifies the caller (and must be valid). */
export const optionalCaller: Auth<Caller> = {
  mode: "optional",
  async who(request, c, rc) {
    const caller = await identify(request, c.auth);
    rc.caller = caller;
    return caller;
  },
};

/** A caller with an API key or JWT. */
export const signedInCaller: Auth<SignedIn> = {
  mode: "signed-in",
  async who(request, c, rc) {
    const caller = signedIn(await identify(request, c.auth));
    rc.caller = caller;
    return caller;
  },
};

/** The operator: Authorization: Bearer $GATEWAY_ADMIN_TOKEN. */
export const operator: Auth<null> = {
  mode: "operator",
  async who(request, c) {
    await requireOperator(request, c.config.GATEWAY_ADMIN_TOKEN);
    return null;
  },
};
