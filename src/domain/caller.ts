// Who is calling, as every later pipeline step sees it.
import type { Owner, Role } from "./owner.ts";

export type { Owner, Role };

/** Signed in with an API key or a JWT: everyone but the anonymous caller. */
export type SignedIn = Exclude<Caller, { kind: "anonymous" }>;

export type Caller =
  | { kind: "anonymous" }
  | {
      kind: "user";
      userId: string;
      via: "jwt" | "api_key";
      apiKeyId: string | null;
      /** The organization named by x-gateway-org, with the caller's role in it. */
      org: { id: string; role: Role } | null;
      limits: KeyLimits;
    }
  | {
      /** A key owned by an organization: it acts as the organization itself. */
      kind: "org";
      orgId: string;
      via: "api_key";
      apiKeyId: string;
      limits: KeyLimits;
    };

export interface KeyLimits {
  rpm: number | null;
  tpm: number | null;
}

export const ANONYMOUS: Caller = { kind: "anonymous" };

/** Who pays and whose resources apply: the acting organization when there is one, else the user. */
export function actingOwner(caller: Caller): Owner | null {
  if (caller.kind === "anonymous") return null;
  if (caller.kind === "org") return { type: "org", id: caller.orgId };
  return caller.org ? { type: "org", id: caller.org.id } : { type: "user", id: caller.userId };
}
