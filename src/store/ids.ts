// Row ids: a short type prefix (so an id in a log says what it names) and 128 random bits.
export function newId(prefix: string): string {
  return `${prefix}_${crypto.randomUUID().replaceAll("-", "")}`;
}
