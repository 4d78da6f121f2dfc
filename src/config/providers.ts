import { ConfigError, type Config } from "./schema.ts";

/** An OpenAI-compatible endpoint the gateway can forward to with its own key. */
export interface Provider {
  id: string;
  baseUrl: string; // without trailing slash, e.g. https://api.openai.com/v1
  apiKey: string;
  /** Model ids (without the provider prefix) this provider lists in GET /v1/models. */
  models: readonly string[];
}

interface BuiltinSpec {
  id: string;
  defaultBaseUrl: string;
  key: (c: Config) => string | undefined;
  baseUrl: (c: Config) => string | undefined;
}

const BUILTINS: readonly BuiltinSpec[] = [
  { id: "openai", defaultBaseUrl: "https://api.openai.com/v1", key: (c) => c.OPENAI_API_KEY, baseUrl: (c) => c.OPENAI_BASE_URL },
  { id: "openrouter", defaultBaseUrl: "https://openrouter.ai/api/v1", key: (c) => c.OPENROUTER_API_KEY, baseUrl: (c) => c.OPENROUTER_BASE_URL },
  { id: "groq", defaultBaseUrl: "https://api.groq.com/openai/v1", key: (c) => c.GROQ_API_KEY, baseUrl: (c) => c.GROQ_BASE_URL },
  { id: "together", defaultBaseUrl: "https://api.together.xyz/v1", key: (c) => c.TOGETHER_API_KEY, baseUrl: (c) => c.TOGETHER_BASE_URL },
];

export const BUILTIN_PROVIDER_IDS: readonly string[] = BUILTINS.map((b) => b.id);

/** `route/<name>` names a route (routing/route-name.ts), never a provider's model. */
const ROUTE_PROVIDER_ID = "route";

const trimSlash = (url: string) => url.replace(/\/+$/, "");

/**
 * The providers this deployment can serve: a built-in one is enabled when its key is set, and
 * operators may declare more OpenAI-compatible ones in GATEWAY_PROVIDERS.
 */
export function enabledProviders(config: Config): Map<string, Provider> {
  const out = new Map<string, Provider>();
  for (const spec of BUILTINS) {
    const apiKey = spec.key(config);
    if (!apiKey) continue;
    out.set(spec.id, {
      id: spec.id,
      baseUrl: trimSlash(spec.baseUrl(config) ?? spec.defaultBaseUrl),
      apiKey,
      // Built-in providers' models are listed through the catalog table (POST /admin/models).
      models: [],
    });
  }
  for (const p of config.GATEWAY_PROVIDERS) {
    if (BUILTIN_PROVIDER_IDS.includes(p.id)) {
      throw new ConfigError("GATEWAY_PROVIDERS", `id "${p.id}" clashes with a built-in provider`);
    }
    if (p.id === ROUTE_PROVIDER_ID) throw new ConfigError("GATEWAY_PROVIDERS", `id "${p.id}" is reserved: route/<name> names a route`);
    out.set(p.id, { id: p.id, baseUrl: trimSlash(p.base_url), apiKey: p.api_key, models: p.models });
  }
  return out;
}

/** Where a built-in provider is reached (the operator's override or its public endpoint), keyed or not. */
export function builtinBaseUrls(config: Config): Map<string, string> {
  return new Map(BUILTINS.map((spec) => [spec.id, trimSlash(spec.baseUrl(config) ?? spec.defaultBaseUrl)]));
}

/**
 * Provider ids the gateway itself serves (built-in, operator-declared) or reserves for a model form
 * (`auto`, and `route`, whose ids name routes: route/<name>): a custom upstream named like one would
 * make `<provider>/<model>` ambiguous.
 */
export function isReservedProviderId(id: string, config: Pick<Config, "GATEWAY_PROVIDERS">): boolean {
  return id === "auto" || id === ROUTE_PROVIDER_ID || BUILTIN_PROVIDER_IDS.includes(id) || config.GATEWAY_PROVIDERS.some((p) => p.id === id);
}
