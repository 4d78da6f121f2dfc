// Holds the gateway to its own /openapi.json: the suite's requests go through a recording fetch,
// and every answer it received is then matched to the documented operation (method and path
// template) and checked against the schema documented for its status.
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { z } from "zod";

export interface RecordedAnswer {
  origin: string;
  method: string;
  /** The concrete path, as requested (no query). */
  path: string;
  status: number;
  /** The media type, without parameters; "" when absent. */
  mediaType: string;
  /** False for an event stream, and for a body the case itself aborted: its status is still checked. */
  read: boolean;
  /** The parsed JSON body; undefined for an empty, unread or unparsable one (see `problem`). */
  body: unknown;
  /** Why the body could not be read as JSON, if it could not. */
  problem?: string;
}

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * A fetch that keeps what each answer was. JSON answers are read from a clone, eagerly, so that the
 * case reading the original sees it untouched; event streams are never cloned, since an unread
 * branch of a tee would keep the stream (and the upstream behind it) open after the case cancels.
 */
export function responseRecorder(): { fetch: Fetch; answers(origin: string): Promise<RecordedAnswer[]> } {
  const pending: Promise<RecordedAnswer>[] = [];
  const record = async (url: URL, method: string, res: Response, text: Promise<string> | null, signal: AbortSignal | null): Promise<RecordedAnswer> => {
    const mediaType = (res.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    const base = { origin: url.origin, method, path: url.pathname, status: res.status, mediaType };
    if (text === null) return { ...base, read: false, body: undefined };
    let raw: string;
    try {
      raw = await text;
    } catch (err) {
      if (signal?.aborted) return { ...base, read: false, body: undefined };
      return { ...base, read: false, body: undefined, problem: `body unreadable: ${String(err)}` };
    }
    if (raw === "") return { ...base, read: true, body: undefined };
    try {
      return { ...base, read: true, body: JSON.parse(raw) };
    } catch {
      return { ...base, read: true, body: undefined, problem: `body is not JSON: ${raw.slice(0, 200)}` };
    }
  };
  return {
    async fetch(input, init) {
      const res = await fetch(input, init);
      const url = new URL(input instanceof Request ? input.url : input);
      const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
      const stream = (res.headers.get("content-type") ?? "").includes("text/event-stream");
      const signal = init?.signal ?? (input instanceof Request ? input.signal : null);
      pending.push(record(url, method, res, stream ? null : res.clone().text(), signal));
      return res;
    },
    async answers(origin) {
      return (await Promise.all(pending)).filter((a) => a.origin === origin);
    },
  };
}

// Only what the check reads of the document; the unit test validates the whole of it.
const mediaSchema = z.looseObject({ schema: z.unknown().optional() });
const operationSchema = z.looseObject({
  operationId: z.string(),
  parameters: z.array(z.looseObject({ name: z.string(), in: z.string(), "x-rest": z.boolean().optional() })).optional(),
  responses: z.record(z.string(), z.looseObject({ content: z.record(z.string(), mediaSchema).optional() })),
});
const documentSchema = z.looseObject({
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
  components: z.looseObject({ schemas: z.record(z.string(), z.unknown()) }),
});
type Operation = z.infer<typeof operationSchema>;

interface Template {
  path: string;
  pattern: RegExp;
  params: number;
  methods: Map<string, Operation>;
}

const escape = (s: string) => s.replace(/[.*+?^$()|[\]\\]/g, "\\$&");

/**
 * /v1/upstreams/{id} -> a pattern over one path segment per parameter, or over the rest of the
 * path for one marked `x-rest`; a trailing slash is the same path (as the router has it).
 */
function templateOf(path: string, rest: ReadonlySet<string>): RegExp {
  const segments = path.split("/").map((s) => {
    const param = /^\{(\w+)\}$/.exec(s)?.[1];
    return param === undefined ? escape(s) : rest.has(param) ? ".+?" : "[^/]+";
  });
  return new RegExp(`^${segments.join("/")}/?$`);
}

const errorCode = (body: unknown): unknown => {
  const parsed = z.looseObject({ error: z.looseObject({ code: z.unknown() }) }).safeParse(body);
  return parsed.success ? parsed.data.error.code : undefined;
};

const describeAnswer = (a: RecordedAnswer) => {
  const code = errorCode(a.body);
  return `${a.method} ${a.path} -> ${a.status}${code === undefined ? "" : ` ${String(code)}`}`;
};

function templatesOf(doc: z.infer<typeof documentSchema>): Template[] {
  return Object.entries(doc.paths).map(([path, ops]) => {
    const methods = new Map(Object.entries(ops).map(([method, op]) => [method.toUpperCase(), operationSchema.parse(op)]));
    const rest = new Set([...methods.values()].flatMap((op) => (op.parameters ?? []).filter((p) => p.in === "path" && p["x-rest"] === true).map((p) => p.name)));
    return { path, pattern: templateOf(path, rest), params: (path.match(/\{/g) ?? []).length, methods };
  });
}

/** The operation an answer belongs to: the literal path wins over a template with parameters, as with any router. */
function operationFor(templates: readonly Template[], a: RecordedAnswer): { matched: boolean; found?: { t: Template; op: Operation } } {
  const matching = templates.filter((t) => t.pattern.test(a.path)).sort((x, y) => x.params - y.params);
  for (const t of matching) {
    const op = t.methods.get(a.method);
    if (op) return { matched: true, found: { t, op } };
  }
  return { matched: matching.length > 0 };
}

/** Every way the answers differ from the document; empty when they all match. */
export function checkAgainstDocument(document: unknown, answers: readonly RecordedAnswer[]): string[] {
  const doc = documentSchema.parse(document);
  const ajv = new Ajv2020({ allErrors: true, strictTypes: false, strictTuples: false });
  addFormats(ajv);
  // Each schema is compiled under a root that carries the document's components, so that its
  // "#/components/schemas/…" references resolve as they do in the document.
  ajv.addKeyword({ keyword: "components" });
  const compiled = new Map<string, ValidateFunction>();
  const validatorFor = (key: string, schema: unknown): ValidateFunction => {
    let validate = compiled.get(key);
    if (!validate) {
      if (typeof schema !== "object" || schema === null) throw new Error(`${key}: the schema is not an object`);
      validate = ajv.compile({ ...schema, components: doc.components });
      compiled.set(key, validate);
    }
    return validate;
  };
  const errorSchema = { $ref: "#/components/schemas/Error" };

  const templates = templatesOf(doc);
  // A Set: a case that repeats a request would repeat its mismatch.
  const problems = new Set<string>();
  const check = (what: string, key: string, schema: unknown, body: unknown) => {
    const validate = validatorFor(key, schema);
    if (!validate(body)) problems.add(`${what}: ${ajv.errorsText(validate.errors, { separator: "; " })} in ${JSON.stringify(body).slice(0, 300)}`);
  };

  for (const a of answers) {
    const what = describeAnswer(a);
    if (a.problem !== undefined) {
      problems.add(`${what}: ${a.problem}`);
      continue;
    }
    const { matched, found } = operationFor(templates, a);
    if (!found) {
      // Not a documented operation: only the router's own refusals, in the error shape.
      const [status, code] = matched ? [405, "method_not_allowed"] : [404, "route_not_found"];
      if (a.status !== status || errorCode(a.body) !== code) problems.add(`${what}: no documented operation, yet not ${status} ${code}`);
      else check(what, "#Error", errorSchema, a.body);
      continue;
    }
    const { t, op } = found;
    const where = `${what} (${op.operationId}, ${a.method} ${t.path})`;
    // An exact status first, then its OpenAPI range ("4XX").
    const documented = op.responses[String(a.status)] ?? op.responses[`${String(a.status).charAt(0)}XX`];
    if (!documented) {
      problems.add(`${where}: status ${a.status} is not documented (documented: ${Object.keys(op.responses).join(", ")})`);
      continue;
    }
    const content = documented.content ?? {};
    if (a.status === 204 || (a.read && a.mediaType === "" && a.body === undefined)) {
      if (Object.keys(content).length > 0) problems.add(`${where}: answered no body where the document has ${Object.keys(content).join(", ")}`);
      continue;
    }
    const media = content[a.mediaType];
    if (!media) {
      problems.add(`${where}: answered ${a.mediaType || "no content-type"}, documented ${Object.keys(content).join(", ") || "no body"}`);
      continue;
    }
    // An event stream is only checked for being documented; its events are the dialect's business.
    if (a.mediaType === "text/event-stream") continue;
    if (a.mediaType !== "application/json") {
      problems.add(`${where}: unexpected media type ${a.mediaType}`);
      continue;
    }
    if (!a.read) continue;
    check(where, `${op.operationId} ${a.status}`, media.schema, a.body);
  }
  return [...problems];
}

/** The documented operations no answer exercised with their success status. */
export function unexercised(document: unknown, answers: readonly RecordedAnswer[]): string[] {
  const templates = templatesOf(documentSchema.parse(document));
  const answered = new Set<string>();
  for (const a of answers) {
    const { found } = operationFor(templates, a);
    if (found) answered.add(`${found.op.operationId} ${a.status}`);
  }
  const missing: string[] = [];
  for (const t of templates) {
    for (const [method, op] of t.methods) {
      const success = Object.keys(op.responses).filter((status) => status.startsWith("2"));
      if (!success.some((status) => answered.has(`${op.operationId} ${status}`))) missing.push(`${op.operationId} (${method} ${t.path}): no case received its ${success.join("/")} answer`);
    }
  }
  return missing;
}
