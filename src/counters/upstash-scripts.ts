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

/**
 * Counts one call of a target (health-windows.ts: rollHealth, then one more call). KEYS[1] the
 * target's health hash; ARGV windowMs, window index, failed (1|0), ttlMs. Returns the calls
 * counted in the window. HMGET answers false for a missing field, which tonumber turns into nil.
 */
export const RECORD_CALL = `
local f = redis.call("HMGET", KEYS[1], "ms", "w", "c", "e")
local index = tonumber(ARGV[2])
local w = tonumber(f[2])
if f[1] ~= ARGV[1] or w == nil or w < index - 1 then
  redis.call("HSET", KEYS[1], "ms", ARGV[1], "w", index, "c", 0, "e", 0, "pc", 0, "pe", 0)
elseif w == index - 1 then
  redis.call("HSET", KEYS[1], "w", index, "c", 0, "e", 0, "pc", f[3] or 0, "pe", f[4] or 0)
end
local calls = redis.call("HINCRBY", KEYS[1], "c", 1)
if ARGV[3] == "1" then
  redis.call("HINCRBY", KEYS[1], "e", 1)
end
redis.call("PEXPIRE", KEYS[1], ARGV[4])
return calls
`;

/**
 * Reads several targets at once. KEYS: for each target its health hash, then its cooling marker.
 * Returns 7 integers per target: ms, w, c, e, pc, pe (0 when absent; no window size is 0) and the
 * marker's PTTL (negative when absent). The weighing happens in TypeScript (healthCount), shared
 * with the memory store.
 */
export const READ_HEALTH = `
local out = {}
for i = 1, #KEYS, 2 do
  local f = redis.call("HMGET", KEYS[i], "ms", "w", "c", "e", "pc", "pe")
  for j = 1, 6 do
    out[#out + 1] = tonumber(f[j]) or 0
  end
  out[#out + 1] = redis.call("PTTL", KEYS[i + 1])
end
return out
`;

/**
 * Starts a target's cooldown unless one is running: the first trip wins, and only it forgets the
 * counted calls (a later trip must not wipe the probe calls counted since). KEYS[1] health hash,
 * KEYS[2] cooling marker; ARGV cooldownMs. Returns 1 when this trip set the marker, else 0.
 */
export const TRIP = `
if redis.call("SET", KEYS[2], "1", "NX", "PX", ARGV[1]) then
  redis.call("DEL", KEYS[1])
  return 1
end
return 0
`;
