import type { Outcome } from "../domain/outcome.ts";
import type { Owner } from "../domain/owner.ts";

/** What happens in a gateway that another part of it may need to know. */
export interface GatewayEvents {
  /** An owner's upstreams, BYOK keys or credit changed. */
  ownerChanged: Owner;
  /** A user or organization was deleted, with everything it owned. */
  ownerDeleted: Owner;
  /** Someone joined or left an organization, or changed role in it. */
  membershipChanged: { orgId: string; userId: string };
  /** A user's token pepper or blocked flag changed. */
  userChanged: string;
  /** An API key was revoked. */
  keyRevoked: string;
  /** An organization's settings changed. */
  orgChanged: string;
  /** The operator's model catalog changed. */
  catalogChanged: undefined;
  /** An owner's named routes changed (null: the operator's). */
  routesChanged: Owner | null;
  /** A request ended, however it ended: its one outcome. */
  requestEnded: Outcome;
}
