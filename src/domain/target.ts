// Where a request can go: one upstream, its credential, and who pays for what it serves.

/** Prices in integer microdollars per million tokens (the catalog's storage unit). */
export interface Pricing {
  inputPerMillion: number;
  outputPerMillion: number;
}

/** Who pays the provider for what a target serves, and what the gateway charges for it. */
export type Charge =
  /** The owner's own provider account (a BYOK key or a custom upstream): no gateway credit is spent. */
  | { kind: "owner" }
  /** The operator's key, for a catalog model marked free. */
  | { kind: "free" }
  /** The operator's key, at the catalog's prices. */
  | { kind: "catalog"; pricing: Pricing }
  /** The operator's key for an unpriced model (opted into): the upstream's reported cost. */
  | { kind: "passthrough" };

/** How often one target is tried before the request moves on (a route sets it; default once). */
export interface RetryPolicy {
  /** Tries in all, the first included (1 = no retry). */
  attempts: number;
  /** Upstream statuses worth another try; null = every one that fails over. Unreachable and timed-out calls are always retried. */
  onStatus: readonly number[] | null;
}

/** One candidate upstream for a request: what routing resolves a model id to. */
export interface UpstreamTarget {
  /** The model id this target answers for, as the client (or a route) named it. */
  model: string;
  /** The concrete `<provider_id>/<model>` it resolved to (what allow-lists and the ledger name). */
  resolvedModel: string;
  /** What answers: a built-in or operator provider id, or a custom upstream's provider_id. */
  providerId: string;
  kind: "builtin" | "custom";
  /** Base URL without a trailing slash (…/v1). */
  baseUrl: string;
  /** The upstream credential (decrypted for BYOK and custom upstreams). Never log it. */
  apiKey: string;
  /** Extra headers of a custom upstream (never credentials or transport-owned ones). */
  extraHeaders: Readonly<Record<string, string>>;
  /** The id the upstream knows the model by. */
  upstreamModel: string;
  charge: Charge;
  /** The model's context window in tokens, where known. */
  contextLength: number | null;
  /** A user-supplied base URL: every call goes through the SSRF-guarded transport. */
  guarded: boolean;
  /** Null: tried once. */
  retry: RetryPolicy | null;
  /** Where this target's error rate is counted (a route's failover), or null when it is not. */
  health: string | null;
}

/** Served on the owner's own provider account (BYOK or custom upstream). */
export const ownersAccount = (t: Pick<UpstreamTarget, "charge">): boolean => t.charge.kind === "owner";
