// Saving an organization's settings on conditions. A check that read the plan, the organization's
// own keys and upstreams, catalog entries or routes before the write would race with a concurrent
// change of them; so the facts it relied on are asserted again inside the one UPDATE that writes
// the settings, each of their rows locked FOR SHARE. A concurrent DELETE or UPDATE of such a row
// either commits first (the UPDATE then finds the fact gone and changes nothing) or waits until
// the settings are committed. One statement, so it holds on PGlite, node-postgres and neon-http.
import { eq, exists, sql, type SQL } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import type { Db } from "../db.ts";
import { byokKeys, catalogModels, customUpstreams, namedRoutes, organizations } from "../schema/index.ts";
import { orgSettingsSchema, type OrgSettings } from "./orgs.ts";

/** Something true when the settings were checked that must still be true when they are written. */
export type SettingsFact =
  /** The organization's own key for a built-in provider. */
  | { kind: "byok_key"; provider: string }
  /** An enabled custom upstream of the organization. */
  | { kind: "upstream"; providerId: string }
  /** An enabled catalog entry; `priced`: free, or with both prices. */
  | { kind: "catalog"; model: string; priced: boolean }
  /** A saved route (by row id: names never change, and a deleted route's id never returns). */
  | { kind: "route"; id: string };

export interface SaveConditions {
  /** The organization's plan must be enterprise. */
  enterprise: boolean;
  facts: readonly SettingsFact[];
}

/** Saved, or what did not hold when it was read again (`changed`: all of it holds again by now). */
export type ConditionalSave = { saved: true } | { saved: false; failed: { kind: "org" } | { kind: "plan" } | { kind: "changed" } | { kind: "fact"; fact: SettingsFact } };

export const factKey = (f: SettingsFact): string => {
  switch (f.kind) {
    case "byok_key":
      return `byok_key\u0000${f.provider}`;
    case "upstream":
      return `upstream\u0000${f.providerId}`;
    case "catalog":
      return `catalog\u0000${f.model}\u0000${f.priced}`;
    case "route":
      return `route\u0000${f.id}`;
  }
};

const all = (conds: readonly SQL[]): SQL => sql`(${sql.join([...conds], sql` and `)})`;

/** The rows that make `fact` true for organization `orgId`: the one predicate both the write and the re-read use. */
function factRows(orgId: string, fact: SettingsFact): { table: PgTable; where: SQL } {
  switch (fact.kind) {
    case "byok_key":
      return { table: byokKeys, where: all([eq(byokKeys.ownerOrgId, orgId), eq(byokKeys.provider, fact.provider)]) };
    case "upstream": {
      const t = customUpstreams;
      return { table: t, where: all([eq(t.ownerOrgId, orgId), eq(t.providerId, fact.providerId), eq(t.enabled, true)]) };
    }
    case "catalog": {
      const t = catalogModels;
      const priced = sql`(${t.free} or (${t.inputPrice} is not null and ${t.outputPrice} is not null))`;
      return { table: t, where: all([eq(t.id, fact.model), eq(t.enabled, true), ...(fact.priced ? [priced] : [])]) };
    }
    case "route":
      return { table: namedRoutes, where: eq(namedRoutes.id, fact.id) };
  }
}

const one = sql<number>`1`;

/** Whether `fact` holds now (a plain read: for checking before the write and explaining a refused one). */
export async function factHolds(db: Db, orgId: string, fact: SettingsFact): Promise<boolean> {
  const { table, where } = factRows(orgId, fact);
  const rows = await db.select({ one }).from(table).where(where).limit(1);
  return rows.length > 0;
}

function distinct(facts: readonly SettingsFact[]): SettingsFact[] {
  const seen = new Map<string, SettingsFact>();
  for (const f of facts) if (!seen.has(factKey(f))) seen.set(factKey(f), f);
  return [...seen.values()];
}

/**
 * Replaces the organization's settings if, at the moment of writing, its plan and every fact hold:
 *
 *   UPDATE organizations SET settings = $settings
 *   WHERE id = $org AND plan = 'enterprise'
 *     AND EXISTS (SELECT 1 FROM byok_keys WHERE owner_org_id = $org AND provider = $p FOR SHARE)
 *     AND … (one EXISTS per fact)
 *   RETURNING id
 *
 * When it changes no row, the conditions are read again, one by one, to say which failed.
 */
export async function saveOrgSettingsIf(db: Db, orgId: string, settings: OrgSettings, when: SaveConditions): Promise<ConditionalSave> {
  const valid = orgSettingsSchema.parse(settings);
  const facts = distinct(when.facts);
  const o = organizations;
  const conds: SQL[] = [eq(o.id, orgId)];
  if (when.enterprise) conds.push(eq(o.plan, "enterprise"));
  for (const fact of facts) {
    const { table, where } = factRows(orgId, fact);
    conds.push(exists(db.select({ one }).from(table).where(where).for("share")));
  }
  const rows = await db.update(o).set({ settings: valid }).where(all(conds)).returning({ id: o.id });
  if (rows.length > 0) return { saved: true };

  const [org] = await db.select({ plan: o.plan }).from(o).where(eq(o.id, orgId));
  if (!org) return { saved: false, failed: { kind: "org" } };
  if (when.enterprise && org.plan !== "enterprise") return { saved: false, failed: { kind: "plan" } };
  for (const fact of facts) if (!(await factHolds(db, orgId, fact))) return { saved: false, failed: { kind: "fact", fact } };
  return { saved: false, failed: { kind: "changed" } };
}
