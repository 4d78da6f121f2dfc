// Routing in chat requests, on every runtime: request-level fallbacks, streams that fail before
// or after their first chunk, named routes, and candidates an organization's policy rules out.
import type { Conformance } from "../context.ts";
import { fallbackCases } from "./routing-fallback.ts";
import { routePolicyCases } from "./routing-policy.ts";
import { streamFallbackCases } from "./routing-streams.ts";

export function routingCases(t: Conformance): void {
  fallbackCases(t);
  streamFallbackCases(t);
  routePolicyCases(t);
}
