// GET /openapi.json: the OpenAPI 3.1 document, generated from the route table (zod schemas become
// JSON Schema 2020-12, which OpenAPI 3.1 uses as it is). Every operation lists its errors in the
// one error shape.
import { z } from "zod";
import type { AuthMode } from "./auth.ts";
import { anyone } from "./auth.ts";
import { route, type ErrorStatus, type Route } from "./route.ts";
import { errorBody } from "./schemas/common.ts";

const VERSION = "0.1.0";

/**
 * Errors every route of an auth mode can answer, beyond those it declares. A token checked against
 * a remote key set (GATEWAY_JWKS_URL) answers 503 auth_unavailable when the set cannot be fetched.
 */
const IMPLIED: Record<AuthMode, readonly number[]> = {
  public: [],
  optional: [401, 403, 503],
  "signed-in": [401, 403, 503],
  operator: [401, 404],
};

/** Errors reading a JSON body implies: invalid_json / invalid_body, and a body over the limit. */
const BODY_ERRORS: readonly number[] = [400, 413];

const STATUS_TEXT: Partial<Record<string, string>> = {
  200: "OK",
  201: "Created",
  204: "No content",
  400: "The request is invalid (invalid_json, invalid_body, invalid_model, …)",
  401: "Missing, invalid, expired or revoked token",
  402: "Insufficient credit",
  403: "Not allowed",
  404: "Not found",
  409: "Conflict",
  413: "Body too large",
  429: "Rate limited (see retry-after)",
  500: "Internal error (no internals leaked)",
  502: "The upstream failed",
  503: "Unavailable (storage, secrets, token verification, rate limiter or upstream)",
  504: "The upstream timed out",
  "4XX": "The upstream's own client error, relayed with its status",
  "5XX": "The upstream's own server error, relayed with its status",
};

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" });
  return rest;
}

/**
 * OpenAPI has no path parameter that spans segments; a model id holds a slash, which clients send
 * raw or percent-encoded. The description says so, and `x-rest` lets tools match such paths.
 */
const REST_PARAM = { description: "May hold `/`, sent raw or percent-encoded (`%2F`); it runs to the end of the path.", "x-rest": true };

const security = (mode: AuthMode) => (mode === "operator" ? [{ operator: [] }] : mode === "signed-in" ? [{ bearer: [] }] : mode === "optional" ? [{}, { bearer: [] }] : []);

function operation(r: Route): JsonSchema {
  const names = [...r.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => name ?? "");
  const parameters: JsonSchema[] = names.map((name, i) => ({ name, in: "path", required: true, schema: { type: "string" }, ...(r.restParam && i === names.length - 1 ? REST_PARAM : {}) }));
  if (r.query) {
    const props = jsonSchema(r.query, "input").properties;
    if (typeof props === "object" && props !== null) {
      for (const [name, schema] of Object.entries(props)) parameters.push({ name, in: "query", required: false, schema });
    }
  }
  const content: JsonSchema = {};
  if (r.answer.status !== 204) content["application/json"] = { schema: jsonSchema(r.answer.schema, "output") };
  if (r.answer.stream) content["text/event-stream"] = { schema: { type: "string", description: "Server-Sent Events: `data: <chunk JSON>` events, then `data: [DONE]`" } };
  const responses: JsonSchema = {
    [r.answer.status]: { description: STATUS_TEXT[r.answer.status] ?? "OK", ...(Object.keys(content).length > 0 ? { content } : {}) },
  };
  for (const status of new Set<ErrorStatus>([...r.errors, ...IMPLIED[r.auth], ...(r.body ? BODY_ERRORS : []), 500])) {
    responses[status] = { description: STATUS_TEXT[status] ?? "Error", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } };
  }
  return {
    operationId: r.id,
    summary: r.summary,
    tags: [r.tag],
    security: security(r.auth),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(r.body ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(r.body, "input") } } } } : {}),
    responses,
  };
}

export type OpenApiDocument = {
  openapi: string;
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, JsonSchema>>;
  components: JsonSchema;
};

export function openApiDocument(routes: readonly Route[]): OpenApiDocument {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const r of routes) (paths[r.path] ??= {})[r.method.toLowerCase()] = operation(r);
  return {
    openapi: "3.1.0",
    info: { title: "edgegate", version: VERSION, description: "An OpenAI-compatible LLM gateway. Every error has one shape: `#/components/schemas/Error`." },
    paths,
    components: {
      schemas: { Error: jsonSchema(errorBody, "output") },
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "A gateway API key (egk_…) or an operator-signed JWT." },
        operator: { type: "http", scheme: "bearer", description: "GATEWAY_ADMIN_TOKEN." },
      },
    },
  };
}

const documentSchema = z.looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) });

/** The route that serves the document for `routes` and itself; built once, on first use. */
export function openApiRoute(routes: readonly Route[]): Route {
  let document: OpenApiDocument | undefined;
  const self: Route = route({
    id: "getOpenApi",
    method: "GET",
    path: "/openapi.json",
    summary: "This document.",
    tag: "operations",
    auth: anyone,
    answer: { status: 200, schema: documentSchema },
    errors: [],
    handler: () => (document ??= openApiDocument([...routes, self])),
  });
  return self;
}
