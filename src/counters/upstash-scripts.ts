// Lua run by Redis as one atomic step: the check and the count can never be split by another
// client. Keys are passed in KEYS (required by Upstash); clients send EVALSHA, then EVAL on
// NOSCRIPT. Integers only: token and request counts, TTLs in ms.

/**
 * Fixed-window admission for request hits and token reservations.
 * KEYS[1] the window's counter; ARGV limit, cost, ttlMs. Returns {admitted 0|1, used after}.
 */
export const ADMIT_FIXED = `
local used = tonumber(redis.call("GET", KEYS[1]) or "0")
local limit = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
if used + cost > limit then
  return {0, used}
end
if cost > 0 then
  used = redis.call("INCRBY", KEYS[1], cost)
  if redis.call("PTTL", KEYS[1]) < 0 then
    redis.call("PEXPIRE", KEYS[1], ARGV[3])
  end
end
return {1, used}
`;

/**
 * Adds a (possibly negative) correction to a window's counter, never below 0. A missing
 * counter is created only for a positive correction. KEYS[1] counter; ARGV delta, ttlMs.
 * Returns the value after.
 */
export const ADJUST = `
local delta = tonumber(ARGV[1])
local current = redis.call("GET", KEYS[1])
if not current then
  if delta <= 0 then
    return 0
  end
  redis.call("SET", KEYS[1], delta, "PX", ARGV[2])
  return delta
end
local value = math.max(0, tonumber(current) + delta)
redis.call("SET", KEYS[1], value, "KEEPTTL")
return value
`;
