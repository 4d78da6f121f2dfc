// A weighted route over two providers (two mock upstreams) through a real Node gateway: 300
// distinct x-gateway-task-id values split near the route's weights, and one task id sent again
// and again always lands on the same provider and upstream. The fine-grained share check (10,000
// ids) is test/unit/routing/split.test.ts; here the sample is small, so the bound is loose.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN } from "../conformance/suite.ts";
import { startMockLlm, type MockLlm } from "../support/mock-llm/index.ts";
import { startNode, type NodeGateway } from "../support/runtimes/node.ts";

const ROUTE = { name: "split", strategy: "weighted", targets: [{ model: "openai/mock-model", weight: 7 }, { model: "groq/mock-model", weight: 3 }] };
const TASKS = 300;
// openai's expected share is 70%; one standard deviation at 300 ids is 2.6 pp, so ±10 pp is ~3.8σ.
const BOUND_PP = 10;

let openaiMock: MockLlm;
let groqMock: MockLlm;
let gw: NodeGateway;
let key: string;

async function admin(path: string, body: unknown): Promise<void> {
  const res = await fetch(`${gw.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(res.status, await res.clone().text()).toBeLessThan(300);
  if (path === "/admin/api-keys") key = ((await res.json()) as { key: string }).key;
}

beforeAll(async () => {
  [openaiMock, groqMock] = await Promise.all([startMockLlm(), startMockLlm()]);
  gw = await startNode({
    OPENAI_API_KEY: "sk-openai-split",
    OPENAI_BASE_URL: openaiMock.baseUrl,
    GROQ_API_KEY: "sk-groq-split",
    GROQ_BASE_URL: groqMock.baseUrl,
    GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN,
    GATEWAY_ROUTES: JSON.stringify([ROUTE]),
  });
  await admin("/admin/users", { id: "splitter" });
  for (const t of ROUTE.targets) await admin("/admin/models", { id: t.model, provider: t.model.split("/")[0], input_price: 0.1, output_price: 0.2 });
  await admin("/admin/credits", { owner: { type: "user", id: "splitter" }, amount_microdollars: 1_000_000_000 });
  await admin("/admin/api-keys", { owner: { type: "user", id: "splitter" } });
});

afterAll(async () => {
  await gw?.close();
  await Promise.all([openaiMock?.close(), groqMock?.close()]);
});

/** Who served one request of task `taskId` (provider and upstream model), checked to be a success. */
async function served(taskId: string): Promise<string> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "x-gateway-task-id": taskId },
    body: JSON.stringify({ model: "route/split", messages: [{ role: "user", content: "hi" }] }),
  });
  const body = (await res.json()) as { model: string };
  expect(res.status).toBe(200);
  expect(res.headers.get("x-gateway-attempts")).toBe("1");
  expect(body.model).toBe("route/split");
  return `${res.headers.get("x-gateway-provider")}/${res.headers.get("x-gateway-model")}`;
}

/** `run` over `items`, `width` at a time, results in order. */
async function pooled<T, R>(items: readonly T[], width: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width) out.push(...(await Promise.all(items.slice(i, i + width).map(run))));
  return out;
}

describe("weighted route through the gateway", () => {
  it("splits 300 distinct task ids near 70/30, each answered by the upstream it names", async () => {
    openaiMock.reset();
    groqMock.reset();
    const ids = Array.from({ length: TASKS }, () => crypto.randomUUID());
    const who = await pooled(ids, 8, served);
    const openai = who.filter((w) => w === "openai/mock-model").length;
    const groq = who.filter((w) => w === "groq/mock-model").length;
    expect(openai + groq).toBe(TASKS);
    expect(Math.abs((100 * openai) / TASKS - 70)).toBeLessThanOrEqual(BOUND_PP);
    // The headers tell the truth: each upstream saw exactly the requests attributed to it.
    expect(openaiMock.requests).toHaveLength(openai);
    expect(groqMock.requests).toHaveLength(groq);
  });

  it("sends a task id to the same provider and upstream every time", async () => {
    const ids = Array.from({ length: 40 }, () => crypto.randomUUID());
    const first = await pooled(ids, 8, served);
    expect(new Set(first).size).toBe(2); // 40 ids reach both targets (all one way: 0.7^40 ≈ 6e-7)
    for (let round = 0; round < 5; round++) expect(await pooled(ids, 8, served)).toEqual(first);
  });
});
