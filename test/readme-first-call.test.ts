// The README's first-call block, exactly as written, pasted into bash on this checkout: it must
// start the gateway, wait for it, set up a user, a priced model, credit and a key, and get a chat
// completion. Only the environment differs from a newcomer's shell: the OpenAI key and endpoint
// point at the mock upstream, PORT at a free port and DATABASE_URL at an in-memory PGlite.
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMockLlm, type MockLlm } from "./support/mock-llm/index.ts";
import { spawnGroup } from "./support/processes.ts";
import { firstCallBlock, freePort, newcomerEnv, readme } from "./support/readme.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

describe("README: the first-call block", () => {
  let mock: MockLlm;
  beforeAll(async () => {
    mock = await startMockLlm();
  });
  afterAll(async () => {
    await mock?.close();
  });

  it("works when pasted into a shell", async () => {
    const block = firstCallBlock(readme());
    const port = await freePort();
    const env = newcomerEnv(port, mock.baseUrl);

    const shell = spawnGroup("bash", ["-c", block], { cwd: root, env });
    try {
      // The block ends with the chat completion; the gateway it started keeps running.
      await shell.waitFor(/"object":"chat\.completion"[^\n]*\n/, 90_000);
      const out = shell.output();
      expect(out).toContain(`edgegate listening on http://127.0.0.1:${port}`);
      expect(out).toMatch(/operator API +on/);
      expect(out).toContain('"id":"alice"');
      expect(out).toContain('"id":"openai/gpt-4o-mini"');
      expect(out).toMatch(/"balance_microdollars":5000000\b/);
      const completion = JSON.parse(/^\{"id".*"object":"chat\.completion".*$/m.exec(out)?.[0] ?? "null") as {
        model: string;
        choices: { message: { content: string } }[];
      };
      expect(completion.model).toBe("openai/gpt-4o-mini");
      expect(completion.choices[0]?.message.content).toBe("Hello from mock");
      expect(mock.requests).toHaveLength(1);
      expect(mock.requests[0]!.headers.authorization).toBe("Bearer sk-readme-test");
      expect(mock.requests[0]!.body).toMatchObject({ model: "gpt-4o-mini" });
      // `npm start &` is still serving after the block.
      expect(shell.descendants().length).toBeGreaterThan(0);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      // Background jobs of a non-interactive shell ignore SIGINT: stop the gateway as `kill %1` would.
      const stopped = await shell.stop("SIGTERM");
      expect(stopped.leftovers).toEqual([]);
    }
  }, 120_000);
});
