// Weighted splits that keep a task on one target: the choice is a hash of a sticky key (the task
// id, else the user id), so prompt caches keep working; without one it is random.

/** A string's 32-bit hash, well mixed (FNV-1a, then murmur3's finaliser): its bits are spread evenly. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A point in [0, 1): the same for the same key and salt, else random. */
export function splitPoint(key: string | null, salt: string, random: () => number = Math.random): number {
  return key === null ? random() : hash32(`${salt}\u0000${key}`) / 0x1_0000_0000;
}

/** The index whose share of `weights` holds `point` (weights need not sum to 1). */
export function pickWeighted(weights: readonly number[], point: number): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let edge = 0;
  for (let i = 0; i < weights.length; i++) {
    edge += weights[i]! / total;
    if (point < edge) return i;
  }
  return weights.length - 1;
}

/** Every index, the picked one first, then the rest by weight (heaviest first, then in order). */
export function splitOrder(weights: readonly number[], point: number): number[] {
  const first = pickWeighted(weights, point);
  const rest = weights.map((_, i) => i).filter((i) => i !== first);
  rest.sort((a, b) => weights[b]! - weights[a]! || a - b);
  return [first, ...rest];
}
