import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Role } from "../../domain/caller.ts";
import type { Db } from "../db.ts";
import { newId } from "../ids.ts";
import { organizations, orgMemberships, users, type PLANS } from "../schema/index.ts";

export type Plan = (typeof PLANS)[number];

export interface Org {
  id: string;
  name: string;
  plan: Plan;
  creditMicrodollars: number;
  createdAt: Date;
}

/**
 * An organization's policy, stored as jsonb and validated whenever it is read back (a row
 * edited by hand must not silently drop an allow-list). Unknown keys are stripped.
 */
export const orgSettingsSchema = z.object({
  /** Only these model ids may be used; absent = no restriction. */
  model_allowlist: z.array(z.string()).optional(),
  /** Only these providers may serve requests; absent = no restriction. */
  provider_allowlist: z.array(z.string()).optional(),
  /** These providers may never serve requests. */
  provider_denylist: z.array(z.string()).optional(),
  data_collection: z.enum(["allow", "deny"]).optional(),
  /** The organization's auto model (`auto/org`): which model or route each client mode goes to. */
  auto_model: z
    .object({
      enabled: z.boolean(),
      fallback_model: z.string(),
      routes: z.record(z.string(), z.string()),
      /**
       * Providers whose targets were saved on the organization's own key (set when saved, never by
       * a client): such a target must never be served on the operator's key instead.
       */
      byok_providers: z.array(z.string()).optional(),
    })
    .optional(),
  /** The organization's own limits across all its keys and members (src/policy/org-policy.ts). */
  rate_limits: z
    .object({ rpm: z.number().int().min(0).nullable().optional(), tpm: z.number().int().min(0).nullable().optional() })
    .strict()
    .optional(),
});

export type OrgSettings = z.infer<typeof orgSettingsSchema>;

const columns = {
  id: organizations.id,
  name: organizations.name,
  plan: organizations.plan,
  creditMicrodollars: organizations.creditMicrodollars,
  createdAt: organizations.createdAt,
};

/** Throws a unique violation (23505) when the id is taken. */
export async function createOrg(db: Db, input: { id?: string | undefined; name: string; plan?: Plan | undefined }): Promise<Org> {
  const [row] = await db
    .insert(organizations)
    .values({ id: input.id ?? newId("org"), name: input.name, plan: input.plan ?? "free" })
    .returning(columns);
  if (!row) throw new Error("insert returned no row");
  return row;
}

export async function getOrg(db: Db, id: string): Promise<Org | undefined> {
  const [row] = await db.select(columns).from(organizations).where(eq(organizations.id, id));
  return row;
}

/**
 * Renames the organization or changes its plan; undefined when it does not exist. Settings are
 * left as they are: a downgrade keeps what only a higher plan uses (dormant, not deleted).
 */
export async function updateOrg(db: Db, id: string, patch: { name?: string | undefined; plan?: Plan | undefined }): Promise<Org | undefined> {
  const set = { ...(patch.name !== undefined ? { name: patch.name } : {}), ...(patch.plan !== undefined ? { plan: patch.plan } : {}) };
  if (Object.keys(set).length === 0) return getOrg(db, id);
  const [row] = await db.update(organizations).set(set).where(eq(organizations.id, id)).returning(columns);
  return row;
}

/** Removes the organization and, by cascade, its keys, secrets, memberships and usage. */
export async function deleteOrg(db: Db, id: string): Promise<boolean> {
  const rows = await db.delete(organizations).where(eq(organizations.id, id)).returning({ id: organizations.id });
  return rows.length > 0;
}

/**
 * Adds the user to the organization or changes their role. False when either is missing:
 * the row is inserted from a join of both, so a missing one inserts nothing (no FK error).
 */
export async function putMember(db: Db, orgId: string, userId: string, role: Role): Promise<boolean> {
  const rows = await db
    .insert(orgMemberships)
    .select(
      db
        .select({ orgId: organizations.id, userId: users.id, role: sql<Role>`${role}`.as("role") })
        .from(organizations)
        .innerJoin(users, eq(users.id, userId))
        .where(eq(organizations.id, orgId)),
    )
    .onConflictDoUpdate({ target: [orgMemberships.orgId, orgMemberships.userId], set: { role } })
    .returning({ orgId: orgMemberships.orgId });
  return rows.length > 0;
}

export async function deleteMember(db: Db, orgId: string, userId: string): Promise<boolean> {
  const rows = await db
    .delete(orgMemberships)
    .where(and(eq(orgMemberships.orgId, orgId), eq(orgMemberships.userId, userId)))
    .returning({ orgId: orgMemberships.orgId });
  return rows.length > 0;
}

export async function getRole(db: Db, orgId: string, userId: string): Promise<Role | undefined> {
  const [row] = await db
    .select({ role: orgMemberships.role })
    .from(orgMemberships)
    .where(and(eq(orgMemberships.orgId, orgId), eq(orgMemberships.userId, userId)));
  return row?.role;
}

export async function orgsOfUser(db: Db, userId: string): Promise<{ orgId: string; role: Role }[]> {
  return db
    .select({ orgId: orgMemberships.orgId, role: orgMemberships.role })
    .from(orgMemberships)
    .where(eq(orgMemberships.userId, userId))
    .orderBy(orgMemberships.orgId);
}

/** The organization's settings; undefined when it does not exist. Throws on a malformed row. */
export async function getOrgSettings(db: Db, orgId: string): Promise<OrgSettings | undefined> {
  const [row] = await db.select({ settings: organizations.settings }).from(organizations).where(eq(organizations.id, orgId));
  if (!row) return undefined;
  const parsed = orgSettingsSchema.safeParse(row.settings);
  if (!parsed.success) throw new Error(`organization ${orgId} has malformed settings: ${parsed.error.message}`);
  return parsed.data;
}

/** The organization's plan with its settings, in one read (what a request acting for it needs). */
export async function getOrgPlanAndSettings(db: Db, orgId: string): Promise<{ plan: Plan; settings: OrgSettings } | undefined> {
  const [row] = await db.select({ plan: organizations.plan, settings: organizations.settings }).from(organizations).where(eq(organizations.id, orgId));
  if (!row) return undefined;
  const parsed = orgSettingsSchema.safeParse(row.settings);
  if (!parsed.success) throw new Error(`organization ${orgId} has malformed settings: ${parsed.error.message}`);
  return { plan: row.plan, settings: parsed.data };
}

/** Replaces the settings (validated first). False when the organization does not exist. */
export async function putOrgSettings(db: Db, orgId: string, settings: OrgSettings): Promise<boolean> {
  const valid = orgSettingsSchema.parse(settings);
  const rows = await db.update(organizations).set({ settings: valid }).where(eq(organizations.id, orgId)).returning({ id: organizations.id });
  return rows.length > 0;
}

/**
 * Replaces the settings; on a plan other than enterprise the saved auto model stays (dormant: it
 * cannot be sent back on that plan, so leaving it out must not delete it). One statement, so a
 * concurrent plan change or save cannot slip in between. Answers what is stored; undefined when
 * there is no such organization.
 */
export async function putOrgSettingsKeepingDormant(db: Db, orgId: string, settings: Omit<OrgSettings, "auto_model">): Promise<OrgSettings | undefined> {
  const { auto_model: _ignored, ...valid } = orgSettingsSchema.parse(settings);
  const s = organizations.settings;
  const dormant = sql`${organizations.plan} <> 'enterprise' and ${s} ? 'auto_model'`;
  const kept = sql`case when ${dormant} then jsonb_build_object('auto_model', ${s} -> 'auto_model') else '{}'::jsonb end`;
  const [row] = await db
    .update(organizations)
    .set({ settings: sql`${JSON.stringify(valid)}::jsonb || ${kept}` })
    .where(eq(organizations.id, orgId))
    .returning({ settings: organizations.settings });
  return row ? orgSettingsSchema.parse(row.settings) : undefined;
}
