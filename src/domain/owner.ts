// Who owns a resource or pays for a request, and the roles inside an organization.

export type Role = "owner" | "admin" | "member";

/** The user or organization that owns a resource or pays for a request. */
export type Owner = { type: "user"; id: string } | { type: "org"; id: string };

export const sameOwner = (a: Owner, b: Owner): boolean => a.type === b.type && a.id === b.id;
