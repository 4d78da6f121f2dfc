// GET /v1/usage: the acting owner's usage (the caller, or the organization x-gateway-org names or an
// organization key acts for), by model and by UTC day, with the current balance.
import { actingOwner } from "../../domain/caller.ts";
import { GatewayError } from "../../http/errors.ts";
import { getBalance } from "../../store/repos/credit.ts";
import { usageSummary, type UsageTotals } from "../../store/repos/ledger.ts";
import { signedInCaller } from "../auth.ts";
import { route } from "../route.ts";
import { usageQuery, usageReport } from "../schemas/account.ts";

const DAY = 86_400_000;
const DEFAULT_DAYS = 30;

const totalsView = (t: UsageTotals) => ({
  requests: t.requests,
  prompt_tokens: t.promptTokens,
  completion_tokens: t.completionTokens,
  cost_microdollars: t.costMicrodollars,
});

/** `?since=<ISO date or time>` or `?days=<1..366>` (default: the last 30 days). */
function sinceOf(url: URL, now: number): Date {
  const since = url.searchParams.get("since");
  if (since !== null) {
    const at = Date.parse(since);
    if (Number.isNaN(at)) throw new GatewayError(400, "invalid_query", "since: must be an ISO 8601 date or date-time", "since");
    return new Date(at);
  }
  const raw = url.searchParams.get("days");
  const days = raw === null ? DEFAULT_DAYS : Number(raw);
  if (!Number.isInteger(days) || days < 1 || days > 366) throw new GatewayError(400, "invalid_query", "days: must be a whole number from 1 to 366", "days");
  return new Date(now - days * DAY);
}

export const getUsage = route({
  id: "getUsage",
  method: "GET",
  path: "/v1/usage",
  summary: "The caller's usage: requests, tokens and cost, by model and by day, and the balance.",
  tag: "account",
  auth: signedInCaller,
  query: usageQuery,
  answer: { status: 200, schema: usageReport },
  errors: [400],
  async handler({ request, c, caller }) {
    const owner = actingOwner(caller);
    if (owner === null) throw new GatewayError(401, "missing_token", "Sign in with an API key or token to see your usage.");
    const since = sinceOf(new URL(request.url), c.now());
    const [summary, balance] = await Promise.all([usageSummary(c.db, owner, { since }), getBalance(c.db, owner)]);
    const total = { requests: 0, promptTokens: 0, completionTokens: 0, costMicrodollars: 0 };
    for (const m of summary.byModel) {
      total.requests += m.requests;
      total.promptTokens += m.promptTokens;
      total.completionTokens += m.completionTokens;
      total.costMicrodollars += m.costMicrodollars;
    }
    return {
      object: "usage" as const,
      owner,
      since: since.toISOString(),
      balance_microdollars: balance ?? 0,
      total: totalsView(total),
      by_model: summary.byModel.map((m) => ({ model: m.model, ...totalsView(m) })),
      by_day: summary.byDay.map((d) => ({ day: d.day, ...totalsView(d) })),
    };
  },
});
