// The README's routing blocks, pasted into the shell the first-call block left ($GW, $H, $KEY and
// the running gateway): a second priced model, a `models` fallback list and a named route, all
// answered (by the mock upstream standing in for OpenAI).
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMockLlm, type MockLlm } from "./support/mock-llm/index.ts";
import { spawnGroup } from "./support/processes.ts";
import { firstCallBlock, freePort, newcomerEnv, readme, shellBlocks } from "./support/readme.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

describe("README: the routing blocks", () => {
  let mock: MockLlm;
  beforeAll(async () => {
    mock = await startMockLlm();
  });
  afterAll(async () => {
    await mock?.close();
  });

  it("work when pasted after the first-call block", async () => {
    const text = readme();
    const blocks = shellBlocks(text, "Routing");
    expect(blocks).toHaveLength(2);
    const script = [firstCallBlock(text), ...blocks, "echo ROUTING-DONE"].join("\n");
    const shell = spawnGroup("bash", ["-c", script], { cwd: root, env: newcomerEnv(await freePort(), mock.baseUrl) });
    try {
      await shell.waitFor(/ROUTING-DONE/, 90_000);
      const out = shell.output();
      expect(out).toContain('"id":"openai/gpt-4.1-mini"');
      // The fallback list: served by its first candidate, with the headers that say so.
      expect(out).toMatch(/^x-gateway-attempts: 1\r?$/m);
      expect(out).toMatch(/^x-gateway-provider: openai\r?$/m);
      // The route was saved, then answered under its own name.
      expect(out).toMatch(/"name":"fast","model":"route\/fast".*"strategy":"fallback"/);
      const completions = [...out.matchAll(/^\{"id".*"object":"chat\.completion".*$/gm)].map((m) => JSON.parse(m[0]) as { model: string });
      expect(completions.map((c) => c.model)).toEqual(["openai/gpt-4o-mini", "openai/gpt-4o-mini", "route/fast"]);
      // Each chat reached the upstream once, as its own model id.
      const chats = mock.requests.filter((r) => r.path === "/v1/chat/completions");
      expect(chats.map((r) => (r.body as { model: string }).model)).toEqual(["gpt-4o-mini", "gpt-4o-mini", "gpt-4o-mini"]);
      expect(chats.every((r) => !("models" in (r.body as object)))).toBe(true);
    } finally {
      const stopped = await shell.stop("SIGTERM");
      expect(stopped.leftovers).toEqual([]);
    }
  }, 120_000);
});
