// Users, organizations and keys set up through the operator API of a running gateway, for the
// HTTP suites that check who may see and change what: acme (olga owner, alice admin, bob
// member), beta (carol admin), dave in no organization, and an API key of acme itself.

export const USERS = ["alice", "olga", "bob", "carol", "dave"] as const;
export type UserId = (typeof USERS)[number];
export type CallerName = UserId | "acme-key";
export type Role = "owner" | "admin" | "member";

export const ROLES: Record<string, Partial<Record<UserId, Role>>> = {
  acme: { olga: "owner", alice: "admin", bob: "member" },
  beta: { carol: "admin" },
};

export interface Call {
  method?: string;
  /** A caller's name, or the operator (default). */
  as?: CallerName | "operator";
  org?: string | null;
  body?: unknown;
}

export type Requester = (path: string, init?: Call) => Promise<Response>;

/** Requests to `url`, as a named caller (its key from `keys`) or the operator. */
export function requester(url: string, adminToken: string, keys: Readonly<Record<string, string>>): Requester {
  return (path, init = {}) => {
    const token = init.as === undefined || init.as === "operator" ? adminToken : keys[init.as];
    return fetch(`${url}${path}`, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers: {
        authorization: `Bearer ${token ?? ""}`,
        "content-type": "application/json",
        ...(init.org ? { "x-gateway-org": init.org } : {}),
      },
      ...(init.body === undefined ? {} : { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) }),
    });
  };
}

async function expectStatus(res: Response, status: number, what: string): Promise<void> {
  if (res.status !== status) throw new Error(`${what}: ${res.status} ${await res.text()}`);
}

/** Creates the users, organizations, memberships and keys; fills `keys` by caller name. */
export async function seedOwners(req: Requester, keys: Record<string, string>): Promise<void> {
  for (const user of USERS) {
    await expectStatus(await req("/admin/users", { body: { id: user } }), 201, `user ${user}`);
    const created = await req("/admin/api-keys", { body: { owner: { type: "user", id: user } } });
    keys[user] = ((await created.json()) as { key: string }).key;
  }
  for (const [org, members] of Object.entries(ROLES)) {
    await expectStatus(await req("/admin/orgs", { body: { id: org, name: org } }), 201, `org ${org}`);
    for (const [user, role] of Object.entries(members)) {
      await expectStatus(await req(`/admin/orgs/${org}/members/${user}`, { method: "PUT", body: { role } }), 200, `${user} in ${org}`);
    }
  }
  const orgKey = await req("/admin/api-keys", { body: { owner: { type: "org", id: "acme" } } });
  keys["acme-key"] = ((await orgKey.json()) as { key: string }).key;
}
