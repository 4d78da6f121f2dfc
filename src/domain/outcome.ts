// What happened to one request, emitted once when it has ended (however it ended): accounting and,
// later, telemetry read it. It never holds a credential.
import type { Caller } from "./caller.ts";
import type { Owner } from "./owner.ts";
import type { UpstreamTarget } from "./target.ts";
import type { Usage } from "./usage.ts";

/** A token reservation in a rate-limit window, corrected once the real usage is known. */
export interface Reservation {
  key: string;
  amount: number;
  windowMs: number;
  resetAt: number;
}

/** A target as outcomes describe it: everything but where and how it is reached. */
export type TargetView = Pick<UpstreamTarget, "model" | "resolvedModel" | "providerId" | "kind" | "upstreamModel" | "charge" | "contextLength">;

export const targetView = (t: TargetView): TargetView => ({
  model: t.model,
  resolvedModel: t.resolvedModel,
  providerId: t.providerId,
  kind: t.kind,
  upstreamModel: t.upstreamModel,
  charge: t.charge,
  contextLength: t.contextLength,
});

/** Why an attempt did not serve the request. */
export type AttemptFailure = "refused" | "connect" | "timeout" | "status" | "broken";

/** One candidate tried (or skipped) for a request. */
export interface Attempt {
  /** The candidate as the client (or a route) named it. */
  model: string;
  /** What it resolved to; null when it could not be resolved for this caller. */
  target: TargetView | null;
  /** The upstream's HTTP status, or null when it gave none (skipped, unreachable, timed out). */
  status: number | null;
  /** Null when this attempt served the request. */
  failure: AttemptFailure | null;
  /** What the client may read about a skipped or failed attempt (never a secret). */
  reason: string | null;
  ms: number;
}

/** The proxy's part of an outcome: set once a request has been routed. */
export interface ProxyOutcome {
  /** The model id the client sent. */
  model: string;
  /** Who pays; null for anonymous callers. */
  owner: Owner | null;
  apiKeyId: string | null;
  /** The target that served, or the last one called; null when none was called. */
  target: TargetView | null;
  attempts: Attempt[];
  /** When the upstream's first byte arrived (headers, or a stream's first chunk). */
  firstByteAt: number | null;
  /** Real usage when the upstream reported it. */
  usage: Usage | undefined;
  /** Generated text relayed to the client, for an estimate without usage. */
  generatedChars: number;
  /** Prompt tokens estimated from the request (bounded work, never throws). */
  promptTokens: () => number;
  reservations: readonly Reservation[];
}

export interface Outcome {
  requestId: string;
  method: string;
  /** The route's id (its operationId), or null when no route matched. */
  route: string | null;
  /** The HTTP status the client received. */
  status: number;
  startedAt: number;
  endedAt: number;
  /** Who called, once known. */
  caller: Caller | null;
  proxy: ProxyOutcome | null;
}
