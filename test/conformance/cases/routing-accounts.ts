// What the routing cases need besides the suite's own user: a fresh caller (or organization)
// per case, so that its ledger holds exactly that case's requests, and a reading of that ledger
// through GET /v1/usage, the way every runtime can be observed.
import { expect } from "vitest";
import type { Conformance } from "../context.ts";
import { isObject } from "../../support/mock-llm/steer.ts";

export interface FreshCaller {
  userId: string;
  key: string;
  /** Headers of a request by this caller, acting for `org` when given. */
  headers(org?: string): Record<string, string>;
}

/** A new user with an API key and credit, made through the operator API. */
export async function freshCaller(t: Conformance): Promise<FreshCaller> {
  const userId = `user-${crypto.randomUUID()}`;
  expect((await t.admin("POST", "/admin/users", { id: userId })).status).toBe(201);
  const created = await t.admin("POST", "/admin/api-keys", { owner: { type: "user", id: userId }, name: "routing" });
  expect(created.status).toBe(201);
  const { key } = (await created.json()) as { key: string };
  expect((await t.admin("POST", "/admin/credits", { owner: { type: "user", id: userId }, amount_microdollars: 10_000_000 })).status).toBe(200);
  return {
    userId,
    key,
    headers: (org) => ({ authorization: `Bearer ${key}`, "content-type": "application/json", ...(org === undefined ? {} : { "x-gateway-org": org }) }),
  };
}

/** A new organization with credit, `admin` as its admin, and these settings saved by that admin. */
export async function freshOrg(t: Conformance, admin: FreshCaller, settings: Record<string, unknown>): Promise<string> {
  const orgId = `org-${crypto.randomUUID()}`;
  expect((await t.admin("POST", "/admin/orgs", { id: orgId, name: "Routing Inc" })).status).toBe(201);
  expect((await t.admin("POST", "/admin/credits", { owner: { type: "org", id: orgId }, amount_microdollars: 10_000_000 })).status).toBe(200);
  expect((await t.admin("PUT", `/admin/orgs/${orgId}/members/${admin.userId}`, { role: "admin" })).status).toBe(200);
  const saved = await t.fetch(`${t.gw.url}/v1/orgs/${orgId}/settings`, { method: "PUT", headers: admin.headers(), body: JSON.stringify(settings) });
  expect(saved.status).toBe(200);
  return orgId;
}

/** POST /v1/chat/completions as `caller` (acting for `org` when given). */
export const chatAs = (t: Conformance, caller: FreshCaller, body: unknown, org?: string): Promise<Response> =>
  t.fetch(`${t.gw.url}/v1/chat/completions`, { method: "POST", headers: caller.headers(org), body: JSON.stringify(body) });

interface Totals {
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_microdollars: number;
}
export interface Ledger {
  total: Totals;
  by_model: (Totals & { model: string })[];
}

/**
 * The caller's ledger (or its organization's) once `requests` rows have landed: rows are written
 * off the hot path, in batches. Read once more a little later, so that a second row written for
 * the same request would be seen too.
 */
export async function ledgerOf(t: Conformance, caller: FreshCaller, requests: number, org?: string): Promise<Ledger> {
  const read = async (): Promise<Ledger> => {
    const res = await t.fetch(`${t.gw.url}/v1/usage`, { headers: caller.headers(org) });
    expect(res.status).toBe(200);
    return (await res.json()) as Ledger;
  };
  for (let i = 0; i < 100; i++) {
    if ((await read()).total.requests >= requests) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 200));
  return read();
}

/** Prices of the catalog entries the routing cases serve, in microdollars per token. */
export const PRICES = {
  "openai/mock-model": { input: 0.15, output: 0.6 },
  "acme/acme-large": { input: 0.5, output: 1 },
} as const;

/** What the gateway charges for these tokens at these prices (rounded up, as cost.ts does). */
export const costAt = (prices: { input: number; output: number }, t: Pick<Totals, "prompt_tokens" | "completion_tokens">): number =>
  Math.ceil((t.prompt_tokens * Math.round(prices.input * 1e6) + t.completion_tokens * Math.round(prices.output * 1e6)) / 1e6);

/** The model ids the mock upstream was asked for, in order (what each candidate was rewritten to). */
export const upstreamModels = (t: Conformance): (string | null)[] =>
  t.mock.requests.map((r) => (isObject(r.body) && typeof r.body.model === "string" ? r.body.model : null));

/**
 * That an error's summary of attempts names `model` with `what` became of it (its status, or
 * "unreachable"), in the same "; "-separated part, however the part is worded around them.
 */
export function expectAttempt(message: unknown, model: string, what: string): void {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  expect(message).toMatch(new RegExp(`${escape(model)}[^;]*${escape(what)}`));
}
