// Every HTTP route is declared once, as data: method, path, who may call it, the zod schemas of
// its body and answer, and its handler. The router, the exact-match fast path and the OpenAPI
// document (openapi.ts) are all built from these declarations.
import type { z } from "zod";
import type { Container } from "../container/container.ts";
import type { RequestContext } from "../http/context.ts";
import { json } from "../http/json.ts";
import { readJson } from "../http/read-json.ts";
import type { Auth, AuthMode } from "./auth.ts";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** An error status, or an OpenAPI range ("4XX") for statuses a route relays from an upstream. */
export type ErrorStatus = number | "4XX" | "5XX";

/** What a route answers on success. */
export interface Answer<S extends z.ZodType> {
  status: 200 | 201 | 204;
  /** The JSON body's schema (z.undefined() for an empty 204). */
  schema: S;
  /** The route may answer a Server-Sent Events stream instead (documented as text/event-stream). */
  stream?: boolean;
}

export interface RouteContext<C, B> {
  request: Request;
  rc: RequestContext;
  c: Container;
  /** Path parameters, by the names in `path` ({id} -> params.id), decoded. */
  params: Readonly<Record<string, string>>;
  caller: C;
  /** Reads and validates the body (400 invalid_json / invalid_body); the handler decides when. */
  body: () => Promise<B>;
}

export interface RouteSpec<C, B extends z.ZodType, S extends z.ZodType> {
  /** The operationId, also the route's name in outcomes and logs. */
  id: string;
  method: Method;
  /** OpenAPI-style path: /v1/upstreams/{id}. */
  path: string;
  /** The last parameter takes the rest of the path, slashes included (a model id). */
  restParam?: boolean;
  summary: string;
  tag: string;
  auth: Auth<C>;
  /** The JSON body's schema; absent for routes without a body. */
  body?: B;
  /** Query parameters, documented (the handler reads them). */
  query?: z.ZodObject;
  answer: Answer<S>;
  /** Error statuses this route answers in the error shape, beyond those its auth mode and body imply. */
  errors: readonly ErrorStatus[];
  /** Returns the answer's body (JSON-serialised with `answer.status`), or a ready Response. */
  handler(ctx: RouteContext<C, z.output<B>>): Promise<z.input<S> | Response> | z.input<S> | Response;
}

/** A declared route, ready to serve: its description and how to run it. */
export interface Route {
  id: string;
  method: Method;
  path: string;
  restParam: boolean;
  summary: string;
  tag: string;
  auth: AuthMode;
  body: z.ZodType | undefined;
  query: z.ZodObject | undefined;
  answer: Answer<z.ZodType>;
  errors: readonly ErrorStatus[];
  run(request: Request, rc: RequestContext, params: Readonly<Record<string, string>>, c: Container): Promise<Response>;
}

const noBody = (): Promise<never> => Promise.reject(new Error("this route declares no body"));

/**
 * A handler's ready Response. Checked by shape, not `instanceof`: an adapter may hand the core a
 * cheaper Response implementation for whole documents (DocumentFactory), which is no subclass.
 */
function isResponse(v: unknown): v is Response {
  return v instanceof Response || (typeof v === "object" && v !== null && "status" in v && "headers" in v && "body" in v && "arrayBuffer" in v);
}

/** Declares a route. Generic so that TypeScript checks the handler against its schemas. */
export function route<C, B extends z.ZodType = z.ZodNever, S extends z.ZodType = z.ZodUndefined>(spec: RouteSpec<C, B, S>): Route {
  const { body: bodySchema, answer } = spec;
  return {
    id: spec.id,
    method: spec.method,
    path: spec.path,
    restParam: spec.restParam === true,
    summary: spec.summary,
    tag: spec.tag,
    auth: spec.auth.mode,
    body: bodySchema,
    query: spec.query,
    answer,
    errors: spec.errors,
    async run(request, rc, params, c) {
      const caller = await spec.auth.who(request, c, rc);
      const body = bodySchema === undefined ? noBody : () => readJson(request, bodySchema);
      const out = await spec.handler({ request, rc, c, params, caller, body });
      if (isResponse(out)) return out;
      if (answer.status === 204) return new Response(null, { status: 204 });
      return json(out, answer.status);
    },
  };
}
