// What every topic file of the suite shares: the recording fetch, the gateway and mock upstream
// (started in the suite's beforeAll, so read through stable handles), the signed-in caller and
// the request helpers.
import { expect } from "vitest";
import type { MockLlm, RecordedRequest } from "../support/mock-llm/index.ts";
import { responseRecorder } from "./openapi-check.ts";
import { ADMIN_TOKEN } from "./settings.ts";

export type Recorder = ReturnType<typeof responseRecorder>;
export type Fetch = Recorder["fetch"];

/** The mock upstream as cases see it: the same object before and after it has started. */
export class MockHandle {
  #mock: MockLlm | undefined;

  attach(mock: MockLlm): void {
    this.#mock = mock;
  }

  get #started(): MockLlm {
    if (this.#mock === undefined) throw new Error("the mock upstream has not started");
    return this.#mock;
  }

  get requests(): RecordedRequest[] {
    return this.#started.requests;
  }

  get baseUrl(): string {
    return this.#started.baseUrl;
  }

  reset(): void {
    this.#mock?.reset();
  }
}

export interface ChatInit extends RequestInit {
  /** The bearer token; undefined: the suite's API key, null: none (anonymous). */
  auth?: string | null;
}

export interface Conformance {
  /** Every request of every case goes through it, so that the last case can hold each answer to /openapi.json. */
  recorder: Recorder;
  fetch: Fetch;
  /** The gateway under test; `url` is set once it has started. */
  gw: { url: string };
  mock: MockHandle;
  /** The suite's user and its API key (set once the operator API has created them). */
  userId: string;
  apiKey: string;
  admin(method: string, path: string, body?: unknown): Promise<Response>;
  chat(body: unknown, init?: ChatInit): Promise<Response>;
  expectError(res: Response, status: number, code: string): Promise<Record<string, unknown>>;
  hi: { role: string; content: string }[];
}

export function conformanceContext(): Conformance {
  const recorder = responseRecorder();
  const fetch = recorder.fetch;
  const gw = { url: "" };
  const t: Conformance = {
    recorder,
    fetch,
    gw,
    mock: new MockHandle(),
    userId: `user-${crypto.randomUUID()}`,
    apiKey: "",
    admin: (method, path, body) =>
      fetch(`${gw.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    chat: (body, init = {}) => {
      const { auth, ...rest } = init;
      const headers: Record<string, string> = { "content-type": "application/json" };
      const token = auth === undefined ? t.apiKey : auth;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      return fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers,
        body: typeof body === "string" ? body : JSON.stringify(body),
        ...rest,
      });
    },
    expectError,
    hi: [{ role: "user", content: "Hello there" }],
  };
  return t;
}

async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/json");
  expect(res.headers.get("x-request-id")).toBeTruthy();
  const body = (await res.json()) as { error: Record<string, unknown> };
  expect(body.error).toMatchObject({ code, type: expect.any(String), message: expect.any(String) });
  expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
  return body.error;
}
