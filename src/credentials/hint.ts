/** What responses show instead of a secret: its last four characters, unless that would reveal too much. */
export const secretHint = (secret: string): string => (secret.length >= 12 ? `…${secret.slice(-4)}` : "…");
