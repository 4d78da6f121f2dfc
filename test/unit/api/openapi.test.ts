// GET /openapi.json as the route table generates it: a valid OpenAPI 3.1 document (checked by an
// OpenAPI validator, not by our own reading of the spec) that names every route of the table, its
// parameters, its body and its errors in the one error shape. That live answers match these
// schemas is checked by the conformance suite (test/conformance/suite.ts).
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { openApiDocument, openApiRoute } from "../../../src/api/openapi.ts";
import type { Route } from "../../../src/api/route.ts";
import { ROUTES } from "../../../src/api/table.ts";

const ERROR_REF = "#/components/schemas/Error";

const self = openApiRoute(ROUTES);
const routes: readonly Route[] = [...ROUTES, self];
const doc = openApiDocument(routes);

type Json = Record<string, unknown>;
const isJson = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function field(v: unknown, ...path: string[]): unknown {
  let at = v;
  for (const key of path) at = isJson(at) ? at[key] : undefined;
  return at;
}

function operationOf(r: Route): Json {
  const op = doc.paths[r.path]?.[r.method.toLowerCase()];
  if (!isJson(op)) throw new Error(`${r.method} ${r.path} is not in the document`);
  return op;
}

describe("GET /openapi.json", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    // The validator keeps what it is given: hand it a copy, not the document other tests read.
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("has schemas a strict JSON Schema 2020-12 validator compiles", () => {
    // The OpenAPI validator does not look inside schemas; Ajv's strict mode refuses unknown
    // keywords and formats, and a pattern that is not a valid regular expression.
    const ajv = new Ajv2020({ strict: true, strictTypes: false, strictTuples: false, allErrors: true });
    addFormats(ajv);
    const components = field(doc.components, "schemas");
    if (!isJson(components)) throw new Error("no component schemas");
    for (const [name, schema] of Object.entries(components)) {
      if (!isJson(schema)) throw new Error(`component ${name} is not a schema`);
      expect(() => ajv.compile({ $id: `components/${name}`, ...schema }), name).not.toThrow();
    }
    for (const r of routes) {
      const op = operationOf(r);
      const schemas: [string, unknown][] = [[`${r.id} requestBody`, field(op, "requestBody", "content", "application/json", "schema")]];
      const responses = field(op, "responses");
      if (isJson(responses)) for (const [status, res] of Object.entries(responses)) schemas.push([`${r.id} ${status}`, field(res, "content", "application/json", "schema")]);
      for (const [name, schema] of schemas) {
        // Error responses are a $ref to the component compiled above.
        if (!isJson(schema) || schema.$ref === ERROR_REF) continue;
        expect(() => ajv.compile(schema), name).not.toThrow();
      }
    }
  });

  it("documents every route of the table with its method and operationId, and nothing else", () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => `${method.toUpperCase()} ${path} ${String(op.operationId)}`));
    const declared = routes.map((r) => `${r.method} ${r.path} ${r.id}`);
    expect(documented.sort()).toEqual(declared.sort());
    expect(new Set(routes.map((r) => r.id)).size).toBe(routes.length);
  });

  it("lists at least one error in the one error shape for every operation", () => {
    for (const r of routes) {
      const responses = field(operationOf(r), "responses");
      if (!isJson(responses)) throw new Error(`${r.id} has no responses`);
      const errors = Object.entries(responses).filter(([status]) => /^[45]/.test(status));
      expect(errors.length, r.id).toBeGreaterThan(0);
      for (const [status, res] of errors) expect(field(res, "content", "application/json", "schema"), `${r.id} ${status}`).toEqual({ $ref: ERROR_REF });
      // The declared errors are all there (auth modes and the 500 add more).
      for (const status of r.errors) expect(Object.keys(responses), r.id).toContain(String(status));
    }
  });

  it("declares every path parameter, and no other", () => {
    for (const r of routes) {
      const inPath = [...r.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => name);
      const params = field(operationOf(r), "parameters");
      const declared = Array.isArray(params) ? params.filter((p) => field(p, "in") === "path") : [];
      expect(declared.map((p) => field(p, "name")).sort(), r.id).toEqual(inPath.sort());
      for (const p of declared) expect(field(p, "required"), `${r.id} ${String(field(p, "name"))}`).toBe(true);
    }
  });

  it("has a request body exactly for the routes that declare one, and the errors reading it implies", () => {
    for (const r of routes) {
      const op = operationOf(r);
      expect(isJson(field(op, "requestBody", "content", "application/json", "schema")), r.id).toBe(r.body !== undefined);
      // invalid_json / invalid_body, and a body over the limit.
      if (r.body !== undefined) for (const status of ["400", "413"]) expect(isJson(field(op, "responses", status)), `${r.id} ${status}`).toBe(true);
    }
  });

  it("documents the success answer: JSON unless 204, and the event stream where a route streams", () => {
    for (const r of routes) {
      const content = field(operationOf(r), "responses", String(r.answer.status), "content");
      expect(isJson(field(content, "application/json", "schema")), r.id).toBe(r.answer.status !== 204);
      expect(isJson(field(content, "text/event-stream")), r.id).toBe(r.answer.stream === true);
    }
  });
});
