// Requests node:http refuses before any handler runs get the one error shape from the Node
// adapter: headers over Node's 16 KB limit answer 431 headers_too_large, anything that is not
// valid HTTP answers 400 invalid_request; then the connection is closed, and the gateway keeps
// serving everyone else. Raw sockets, since no HTTP client sends malformed requests.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN } from "../conformance/suite.ts";
import { startMockLlm, type MockLlm } from "../support/mock-llm/index.ts";
import { startNode, type NodeGateway } from "../support/runtimes/node.ts";

interface RawAnswer {
  /** Everything the server wrote, as bytes read one-to-one into characters. */
  text: string;
  /** The server closed the connection (rather than the test giving up waiting). */
  closedByServer: boolean;
}

/** Writes `parts` to a fresh connection (each after the previous answer bytes arrive, if `stepped`), reads until the server closes. */
function raw(url: string, parts: readonly (string | Buffer)[], opts: { stepped?: boolean; timeoutMs?: number } = {}): Promise<RawAnswer> {
  const { port, hostname } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let text = "";
    let next = 0;
    const send = () => {
      if (next < parts.length) socket.write(parts[next++]!);
    };
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closedByServer: false });
    }, opts.timeoutMs ?? 3000);
    socket.on("connect", () => {
      if (opts.stepped) send();
      else while (next < parts.length) send();
    });
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
      if (opts.stepped) send();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ text, closedByServer: true });
    });
  });
}

interface Parsed {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The one HTTP/1.1 response `text` holds (a Content-Length body). */
function parseResponse(text: string): Parsed {
  const end = text.indexOf("\r\n\r\n");
  expect(end, text).toBeGreaterThan(0);
  const [statusLine = "", ...lines] = text.slice(0, end).split("\r\n");
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status, headers, body: text.slice(end + 4) };
}

function expectShape(answer: RawAnswer, status: number, code: string) {
  const res = parseResponse(answer.text);
  expect(res.status, answer.text).toBe(status);
  expect(res.headers["content-type"]).toBe("application/json");
  expect(res.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  expect(res.headers.connection).toBe("close");
  // Exactly one response, its body exactly Content-Length long, nothing after it.
  expect(Buffer.byteLength(res.body)).toBe(Number(res.headers["content-length"]));
  expect(JSON.parse(res.body)).toEqual({ error: { message: expect.any(String), type: "invalid_request_error", code, param: null } });
  expect(answer.closedByServer).toBe(true);
}

describe("requests node:http refuses, on the Node gateway", () => {
  let mock: MockLlm;
  let gw: NodeGateway;

  beforeAll(async () => {
    mock = await startMockLlm();
    gw = await startNode({ OPENAI_API_KEY: "sk-client-errors-000000", OPENAI_BASE_URL: mock.baseUrl, GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN });
    const model = { id: "openai/free-mock", provider: "openai", upstream_model: "mock-model", free: true };
    const res = await fetch(`${gw.url}/admin/models`, { method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" }, body: JSON.stringify(model) });
    expect(res.status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await mock?.close();
  });

  async function stillServing() {
    const res = await fetch(`${gw.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  }

  it("headers over 16 KB: 431 headers_too_large, from a real HTTP client too", async () => {
    const big = "a".repeat(20_000);
    expectShape(await raw(gw.url, [`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${big}\r\n\r\n`]), 431, "headers_too_large");
    // Many small headers add up the same way.
    const many = Array.from({ length: 400 }, (_, i) => `X-H${i}: ${"v".repeat(40)}\r\n`).join("");
    expectShape(await raw(gw.url, [`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n${many}\r\n`]), 431, "headers_too_large");

    const res = await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { "x-big": big, "content-type": "application/json" }, body: "{}" });
    expect(res.status).toBe(431);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("x-request-id")).toBeTruthy();
    expect(await res.json()).toEqual({ error: { message: expect.any(String), type: "invalid_request_error", code: "headers_too_large", param: null } });
    await stillServing();
  });

  it.each([
    ["a header line without a colon", "GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"],
    ["a garbage request line", "GARBAGE\r\n\r\n"],
    ["a space in the target", "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n"],
    ["an unknown HTTP version", "GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n"],
    ["a control character in a header value", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n"],
    ["a space before the colon", "GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n"],
    ["Content-Length with Transfer-Encoding", "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"],
    ["two different Content-Lengths", "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"],
    ["a bad chunk size", "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n"],
  ])("%s: 400 invalid_request, connection closed", async (_label, request) => {
    expectShape(await raw(gw.url, [request]), 400, "invalid_request");
    await stillServing();
  });

  it("a malformed request after an answered one on a kept-alive connection: the answer, then 400", async () => {
    const answer = await raw(gw.url, ["GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "GET / HTTP/1.1\r\nBad Header\r\n\r\n"], { stepped: true });
    const second = answer.text.indexOf("HTTP/1.1 400 ");
    expect(answer.text.startsWith("HTTP/1.1 200 OK\r\n"), answer.text).toBe(true);
    expect(second).toBeGreaterThan(0);
    expect(answer.text.slice(0, second)).toContain('{"ok":true}');
    expectShape({ ...answer, text: answer.text.slice(second) }, 400, "invalid_request");
    await stillServing();
  });

  // An answer already under way (its status line and headers sent) must not have a second status
  // line written into its body: the connection is closed instead, as node:http itself does.
  it("a malformed request pipelined behind a stream in progress does not corrupt the stream", async () => {
    const body = JSON.stringify({ model: "openai/free-mock", messages: [{ role: "user", content: "Hi" }], stream: true, mock: { chunks: 4, delay_ms: 150 } });
    const answer = await raw(
      gw.url,
      [`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, "GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"],
      { stepped: true },
    );
    expect(answer.text.startsWith("HTTP/1.1 200 OK\r\n"), answer.text).toBe(true);
    expect(answer.text).toContain("text/event-stream");
    expect(answer.text.match(/HTTP\/1\.1 /g), answer.text).toHaveLength(1);
    expect(answer.closedByServer).toBe(true);
    await stillServing();
  });

  it("other clients are served while and after malformed ones come in", async () => {
    const bad = Array.from({ length: 20 }, (_, i) => raw(gw.url, [i % 2 === 0 ? "GARBAGE\r\n\r\n" : `GET / HTTP/1.1\r\nX: ${"b".repeat(17_000)}\r\n\r\n`]));
    const good = Array.from({ length: 10 }, () =>
      fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "openai/free-mock", messages: [{ role: "user", content: "Hi" }] }) }),
    );
    const answers = await Promise.all(bad);
    answers.forEach((a, i) => expectShape(a, i % 2 === 0 ? 400 : 431, i % 2 === 0 ? "invalid_request" : "headers_too_large"));
    for (const res of await Promise.all(good)) {
      expect(res.status).toBe(200);
      expect(((await res.json()) as { model: string }).model).toBe("openai/free-mock");
    }
    await stillServing();
  });
});
