import { eq } from "drizzle-orm";
import type { Db } from "../db.ts";
import { randomBase64Url } from "../../encoding/base64.ts";
import { newId } from "../ids.ts";
import { users } from "../schema/index.ts";

export interface User {
  id: string;
  email: string | null;
  /** The value a user's JWTs must carry in `pepper`, when set. A secret: never list it. */
  pepper: string | null;
  blocked: boolean;
  creditMicrodollars: number;
  createdAt: Date;
}

const columns = {
  id: users.id,
  email: users.email,
  pepper: users.apiTokenPepper,
  blocked: users.blocked,
  creditMicrodollars: users.creditMicrodollars,
  createdAt: users.createdAt,
};

/** Throws a unique violation (23505) when the id or email is taken. */
export async function createUser(db: Db, input: { id?: string | undefined; email?: string | undefined }): Promise<User> {
  const [row] = await db
    .insert(users)
    .values({ id: input.id ?? newId("usr"), email: input.email ?? null })
    .returning(columns);
  if (!row) throw new Error("insert returned no row");
  return row;
}

export async function getUser(db: Db, id: string): Promise<User | undefined> {
  const [row] = await db.select(columns).from(users).where(eq(users.id, id));
  return row;
}

/** Removes the user and, by cascade, their keys, secrets, memberships and usage. */
export async function deleteUser(db: Db, id: string): Promise<boolean> {
  const rows = await db.delete(users).where(eq(users.id, id)).returning({ id: users.id });
  return rows.length > 0;
}

/** Sets a new random pepper (revoking every JWT that carries the old one) and returns it. */
export async function rotatePepper(db: Db, id: string): Promise<string | undefined> {
  const pepper = randomBase64Url(24);
  const rows = await db.update(users).set({ apiTokenPepper: pepper }).where(eq(users.id, id)).returning({ id: users.id });
  return rows.length > 0 ? pepper : undefined;
}

export async function setBlocked(db: Db, id: string, blocked: boolean): Promise<boolean> {
  const rows = await db.update(users).set({ blocked }).where(eq(users.id, id)).returning({ id: users.id });
  return rows.length > 0;
}
