import type { Attempt } from "../domain/outcome.ts";

const what = (a: Attempt): string => {
  switch (a.failure) {
    case "refused":
      return a.status === null ? "skipped" : `not allowed (${a.status})`;
    case "connect":
      return "unreachable";
    case "timeout":
      return "timed out";
    case "broken":
      return "broke off before its first byte";
    default:
      return `answered ${a.status ?? "nothing"}`;
  }
};

/**
 * What every try of a request came to, for the error a client gets when none served: each
 * candidate by the model it resolved to (else the id the client named), and its status. Never a
 * credential: targets are described by their ids only.
 */
export function describeAttempts(attempts: readonly Attempt[]): string {
  const parts = attempts.map((a) => `${a.target?.resolvedModel ?? a.model}: ${what(a)}`);
  return `No upstream served this request (${attempts.length} attempts: ${parts.join("; ")}).`;
}
