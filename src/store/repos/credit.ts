import { eq, sql } from "drizzle-orm";
import type { Owner } from "../../domain/caller.ts";
import type { Db } from "../db.ts";
import { ownedBy } from "../owner.ts";
import { organizations, usageLedger, users } from "../schema/index.ts";

/** The table and columns that hold an owner's balance. */
export const balanceOf = (owner: Owner) =>
  owner.type === "user"
    ? { table: users, id: users.id, credit: users.creditMicrodollars }
    : { table: organizations, id: organizations.id, credit: organizations.creditMicrodollars };

/**
 * Adds (or, when negative, takes away) credit in one atomic UPDATE. Resolves to the new
 * balance, or undefined when the owner does not exist.
 */
export async function addCredit(db: Db, owner: Owner, amountMicrodollars: number): Promise<number | undefined> {
  if (!Number.isSafeInteger(amountMicrodollars)) throw new RangeError("amount must be a safe integer of microdollars");
  const b = balanceOf(owner);
  const [row] = await db
    .update(b.table)
    .set({ creditMicrodollars: sql`${b.credit} + ${amountMicrodollars}` })
    .where(eq(b.id, owner.id))
    .returning({ balance: b.credit });
  return row?.balance;
}

export async function getBalance(db: Db, owner: Owner): Promise<number | undefined> {
  const b = balanceOf(owner);
  const [row] = await db.select({ balance: b.credit }).from(b.table).where(eq(b.id, owner.id));
  return row?.balance;
}

export interface BalanceFacts {
  balance: number;
  /** The owner has paid for usage before: out of credit rather than never funded. */
  used: boolean;
}

/** Balance and whether any paid usage exists, in one round trip; undefined when the owner is gone. */
export async function loadBalanceFacts(db: Db, owner: Owner): Promise<BalanceFacts | undefined> {
  const b = balanceOf(owner);
  const [row] = await db
    .select({
      balance: b.credit,
      used: sql<number>`case when exists (select 1 from ${usageLedger} where ${ownedBy(usageLedger, owner)} and ${usageLedger.costMicrodollars} > 0) then 1 else 0 end`.mapWith(Number),
    })
    .from(b.table)
    .where(eq(b.id, owner.id));
  return row && { balance: row.balance, used: row.used === 1 };
}
