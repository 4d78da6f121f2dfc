import { z } from "zod";
import { parseKeyRing, type ParsedKeyRing } from "../credentials/keyring.ts";

// Every setting the gateway reads, under the same names on every platform (API.md
// "Configuration"). Adapters hand over their env/bindings as plain strings; this is the only
// place that interprets them.

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const optionalUrl = optionalString.pipe(z.url({ protocol: /^https?$/ }).optional());

const intWithDefault = (fallback: number, min: number) =>
  optionalString.transform((v, ctx) => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (Number.isInteger(n) && n >= min) return n;
    ctx.addIssue({ code: "custom", message: `must be a whole number >= ${min}` });
    return z.NEVER;
  });

// Parsed at start-up so a malformed ring (a key that is not 32 bytes) stops the gateway there.
const keyRing = optionalString.transform((v, ctx): ParsedKeyRing | undefined => {
  if (v === undefined) return undefined;
  try {
    return parseKeyRing(v);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: err instanceof Error ? err.message : "is invalid" });
    return z.NEVER;
  }
});

// "true"/"1" or "false"/"0" (case-insensitive); anything else is refused rather than guessed.
const boolWithDefault = (fallback: boolean) =>
  optionalString.transform((v, ctx) => {
    if (v === undefined) return fallback;
    const lower = v.toLowerCase();
    if (lower === "true" || lower === "1") return true;
    if (lower === "false" || lower === "0") return false;
    ctx.addIssue({ code: "custom", message: 'must be "true" or "false"' });
    return z.NEVER;
  });

// A Postgres URL on every platform; memory:// (an in-memory PGlite) only means something on Node.
// The message never repeats the value: it carries the password.
const databaseUrl = optionalString.refine(
  (v) => v === undefined || /^(postgres|postgresql|memory):\/\//i.test(v),
  "must be a postgres:// or postgresql:// URL (or memory:// on Node)",
);

const csv = optionalString.transform((v) =>
  v === undefined ? [] : v.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean),
);

export const operatorProviderSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, "must be a lower-case slug"),
  base_url: z.url({ protocol: /^https?$/ }),
  api_key: z.string().min(1),
  models: z.array(z.string().min(1)).default([]),
});

const providersJson = optionalString.transform((raw, ctx) => {
  if (raw === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    ctx.addIssue({ code: "custom", message: "must be a JSON array" });
    return z.NEVER;
  }
  const result = z.array(operatorProviderSchema).safeParse(parsed);
  if (!result.success) {
    const first = result.error.issues[0];
    ctx.addIssue({ code: "custom", message: `${first?.path.join(".") ?? ""}: ${first?.message ?? "invalid"}` });
    return z.NEVER;
  }
  return result.data;
});

// Operator routes: [{"name": …, "strategy": …, "targets": […]}, …]. Only the JSON shape is read
// here (config sits below routing/); createContainer checks names and definitions in full
// (routing/config-routes.ts) and stops start-up naming this setting.
const configRouteSchema = z.looseObject({ name: z.string() });

const routesJson = optionalString.transform((raw, ctx) => {
  if (raw === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    ctx.addIssue({ code: "custom", message: "must be a JSON array" });
    return z.NEVER;
  }
  const result = z.array(configRouteSchema).safeParse(parsed);
  if (!result.success) {
    const first = result.error.issues[0];
    ctx.addIssue({ code: "custom", message: `${first?.path.join(".") ?? ""}: ${first?.message ?? "invalid"}` });
    return z.NEVER;
  }
  return result.data;
});

export const envSchema = z.object({
  GATEWAY_ADMIN_TOKEN: optionalString.pipe(z.string().min(16, "must be at least 16 characters").optional()),
  GATEWAY_JWT_SECRET: optionalString.pipe(z.string().min(32, "must be at least 32 characters").optional()),
  GATEWAY_JWKS_URL: optionalUrl,
  GATEWAY_ENCRYPTION_KEYS: keyRing,
  GATEWAY_TRUSTED_UPSTREAM_HOSTS: csv,
  GATEWAY_SSRF_DOH_URL: optionalUrl,
  GATEWAY_PROVIDERS: providersJson,
  /** Operator routes (virtual models and aliases of model ids); see configRouteSchema. */
  GATEWAY_ROUTES: routesJson,
  GATEWAY_MAX_BODY_BYTES: intWithDefault(4 * 1024 * 1024, 1024),
  GATEWAY_FIRST_BYTE_TIMEOUT_MS: intWithDefault(60_000, 1),
  GATEWAY_TOTAL_TIMEOUT_MS: intWithDefault(600_000, 1),
  /** Between chunks once an answer has started: a stalled stream is ended rather than held open. */
  GATEWAY_IDLE_TIMEOUT_MS: intWithDefault(60_000, 1),
  /** Upstream calls per request at most, over every retry and fallback. */
  GATEWAY_MAX_ATTEMPTS: intWithDefault(5, 1),
  /** The longest upstream retry-after the gateway waits out before retrying; longer moves on. */
  GATEWAY_RETRY_AFTER_CAP_MS: intWithDefault(10_000, 0),
  // Rate limits (src/policy/rate-limit.ts). Anonymous callers may use free models only, limited
  // per client IP and, all of them together, by one anonymous quota; 0 closes anonymous access.
  GATEWAY_ANON_IP_LIMIT: intWithDefault(200, 0),
  GATEWAY_ANON_IP_WINDOW_S: intWithDefault(3600, 1),
  GATEWAY_ANON_QUOTA: intWithDefault(10_000, 0),
  GATEWAY_ANON_QUOTA_WINDOW_S: intWithDefault(86_400, 1),
  /** Per API key (or JWT user) when the key sets none; 0 = no default limit. */
  GATEWAY_DEFAULT_RPM: intWithDefault(0, 0),
  GATEWAY_DEFAULT_TPM: intWithDefault(0, 0),
  /** Completion tokens a TPM reservation assumes when the request sets no max_tokens. */
  GATEWAY_ESTIMATE_COMPLETION_TOKENS: intWithDefault(1024, 1),
  /**
   * The catalog rule's one opt-out (README "What the operator's key serves"): serve models the
   * catalog has no complete price for on the operator's key, billed at the cost the upstream
   * reports (`usage.cost`, OpenRouter-style). Off by default: unpriced means not served.
   */
  GATEWAY_PASSTHROUGH_PRICING: boolWithDefault(false),
  /** HMAC key for identifiers in rate-counter keys (client IPs); keeps them irreversible. */
  GATEWAY_RATE_LIMIT_SECRET: optionalString.pipe(z.string().min(16, "must be at least 16 characters").optional()),
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalUrl,
  OPENROUTER_API_KEY: optionalString,
  OPENROUTER_BASE_URL: optionalUrl,
  GROQ_API_KEY: optionalString,
  GROQ_BASE_URL: optionalUrl,
  TOGETHER_API_KEY: optionalString,
  TOGETHER_BASE_URL: optionalUrl,
  DATABASE_URL: databaseUrl,
  /** Node only: apply the migrations in drizzle/ to DATABASE_URL before serving (off: `npm run db:migrate`). */
  GATEWAY_MIGRATE_ON_START: boolWithDefault(false),
  /** Where the Neon HTTP driver sends SQL; unset = Neon's own endpoint for DATABASE_URL's host. */
  NEON_FETCH_ENDPOINT: optionalUrl,
  UPSTASH_REDIS_REST_URL: optionalUrl,
  UPSTASH_REDIS_REST_TOKEN: optionalString,
  PORT: intWithDefault(8787, 0),
});

export type Env = z.input<typeof envSchema>;
export type Config = z.output<typeof envSchema>;
export type OperatorProvider = z.output<typeof operatorProviderSchema>;

export interface ConfigProblem {
  setting: string;
  problem: string;
}

/** One or more bad settings, all named in the message so that one restart can fix them all. */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];
  constructor(readonly setting: string, problem: string, more: readonly ConfigProblem[] = []) {
    const problems = [{ setting, problem }, ...more];
    super(`invalid configuration: ${problems.map((p) => `${p.setting}: ${p.problem}`).join("; ")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }

  static of(problems: readonly ConfigProblem[]): ConfigError {
    const [first, ...rest] = problems;
    return first ? new ConfigError(first.setting, first.problem, rest) : new ConfigError("configuration", "is invalid");
  }
}

/** Validates platform env into Config, or throws a ConfigError naming every bad setting. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const result = envSchema.safeParse(env);
  if (result.success) return result.data;
  // The first problem zod reports for each setting.
  const problems = new Map<string, string>();
  for (const issue of result.error.issues) {
    const setting = String(issue.path[0] ?? "configuration");
    if (!problems.has(setting)) problems.set(setting, issue.message);
  }
  throw ConfigError.of([...problems].map(([setting, problem]) => ({ setting, problem })));
}
