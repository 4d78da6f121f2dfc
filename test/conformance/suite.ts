// One set of HTTP-level cases, run unchanged against every runtime (DESIGN.md "How we know
// it works"). Each runtime file only says how to start the gateway; the cases live in cases/,
// one file per topic, and share the context of context.ts.
import { afterAll, beforeAll, beforeEach, describe, expect } from "vitest";
import { startMockLlm, type MockLlm } from "../support/mock-llm/index.ts";
import { authCases } from "./cases/auth-accounts.ts";
import { badRequestCases } from "./cases/bad-requests.ts";
import { customUpstreamCases } from "./cases/custom-upstreams.ts";
import { limitsAndUsageCases } from "./cases/limits-usage.ts";
import { namedRouteCases } from "./cases/named-routes.ts";
import { openApiDocumentCases } from "./cases/openapi-document.ts";
import { operationsCases } from "./cases/operations.ts";
import { otherRouteCases } from "./cases/other-routes.ts";
import { documentRelayCases } from "./cases/relay-documents.ts";
import { streamRelayCases } from "./cases/relay-streams.ts";
import { routingCases } from "./cases/routing.ts";
import { upstreamFailureCases } from "./cases/upstream-failures.ts";
import { conformanceContext } from "./context.ts";
import { ACME_KEY, ADMIN_TOKEN, DEAD_KEY, ENCRYPTION_KEYS, FIRST_BYTE_TIMEOUT_MS, JWT_SECRET, MAX_BODY, TOTAL_TIMEOUT_MS, UPSTREAM_KEY } from "./settings.ts";

// Other suites start their gateways with the same operator secrets.
export { ADMIN_TOKEN, JWT_SECRET, UPSTREAM_KEY };

export type Launcher = (env: Record<string, string>) => Promise<{ url: string; close(): Promise<void> }>;

/** The gateway's settings for a run against the mock upstream at `mockBaseUrl`. */
function gatewayEnv(mockBaseUrl: string): Record<string, string> {
  return {
    OPENAI_API_KEY: UPSTREAM_KEY,
    OPENAI_BASE_URL: mockBaseUrl,
    GATEWAY_PROVIDERS: JSON.stringify([
      { id: "acme", base_url: mockBaseUrl, api_key: ACME_KEY, models: ["acme-large"] },
      // Nothing listens on port 1: every request to it fails to connect.
      { id: "dead", base_url: "http://127.0.0.1:1/v1", api_key: DEAD_KEY, models: [] },
    ]),
    GATEWAY_MAX_BODY_BYTES: String(MAX_BODY),
    GATEWAY_FIRST_BYTE_TIMEOUT_MS: String(FIRST_BYTE_TIMEOUT_MS),
    GATEWAY_TOTAL_TIMEOUT_MS: String(TOTAL_TIMEOUT_MS),
    GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN,
    GATEWAY_JWT_SECRET: JWT_SECRET,
    GATEWAY_ENCRYPTION_KEYS: ENCRYPTION_KEYS,
    // The mock listens on 127.0.0.1, which custom upstreams may use only when trusted.
    GATEWAY_TRUSTED_UPSTREAM_HOSTS: "127.0.0.1",
    // Rate counters of Redis-backed runs are keyed under this secret: a fresh one per run keeps
    // earlier runs' anonymous requests (same client IP, same shared Redis) from counting.
    GATEWAY_RATE_LIMIT_SECRET: `conformance-${crypto.randomUUID()}`,
    // An operator route declared in configuration: listed, read-only through the API.
    GATEWAY_ROUTES: JSON.stringify([{ name: "conformance-config", strategy: "fallback", targets: [{ model: "openai/mock-model" }] }]),
  };
}

// On the operator's keys only catalog models are served (the catalog rule).
const CATALOG = [
  { id: "openai/mock-model", provider: "openai", input_price: 0.15, output_price: 0.6 },
  { id: "openai/free-mock", provider: "openai", upstream_model: "mock-model", free: true },
  { id: "groq/llama-3", provider: "groq", free: true },
  { id: "acme/acme-large", provider: "acme", input_price: 0.5, output_price: 1 },
  { id: "openai/org/some-model", provider: "openai", input_price: 0.15, output_price: 0.6 },
  { id: "openai/模型-large", provider: "openai", free: true },
  { id: "dead/x", provider: "dead", free: true },
];

export function conformanceSuite(runtime: string, start: Launcher, opts: { skip?: boolean } = {}): void {
  describe.skipIf(opts.skip === true)(`conformance on ${runtime}`, () => {
    const t = conformanceContext();
    const { admin, userId } = t;
    let mock: MockLlm | undefined;
    let gateway: { url: string; close(): Promise<void> } | undefined;

    beforeAll(async () => {
      mock = await startMockLlm();
      t.mock.attach(mock);
      gateway = await start(gatewayEnv(mock.baseUrl));
      t.gw.url = gateway.url;
      // Through the operator API, as a deployment would be set up.
      expect((await admin("POST", "/admin/users", { id: userId })).status).toBe(201);
      const key = await admin("POST", "/admin/api-keys", { owner: { type: "user", id: userId }, name: "conformance" });
      expect(key.status).toBe(201);
      t.apiKey = ((await key.json()) as { key: string }).key;
      // Paid models need credit on the acting owner.
      expect((await admin("POST", "/admin/credits", { owner: { type: "user", id: userId }, amount_microdollars: 1_000_000_000 })).status).toBe(200);
      for (const model of CATALOG) {
        expect((await admin("POST", "/admin/models", model)).status).toBe(200);
      }
    }, 90_000);

    afterAll(async () => {
      await gateway?.close();
      await mock?.close();
    });

    beforeEach(() => t.mock.reset());

    operationsCases(t);
    documentRelayCases(t);
    streamRelayCases(t);
    upstreamFailureCases(t);
    authCases(t);
    customUpstreamCases(t);
    badRequestCases(t);
    limitsAndUsageCases(t);
    namedRouteCases(t);
    routingCases(t);
    otherRouteCases(t);
    // Last: it holds every answer the cases above received to /openapi.json.
    openApiDocumentCases(t);
  });
}
