// The README's first-call block, exactly as written, pasted into bash on this checkout: it must
// start the gateway, wait for it, set up a user, a priced model, credit and a key, and get a chat
// completion. Only the environment differs from a newcomer's shell: the OpenAI key and endpoint
// point at the mock upstream, PORT at a free port and DATABASE_URL at an in-memory PGlite.
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envSchema } from "../src/config/schema.ts";
import { startMockLlm, type MockLlm } from "./support/mock-llm/index.ts";
import { spawnGroup } from "./support/processes.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

/** The first ```sh block under the heading "Users, keys and the first call". */
export function firstCallBlock(readme: string): string {
  const section = readme.split(/^## /m).find((s) => s.startsWith("Users, keys and the first call"));
  const block = section && /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README.md has no ```sh block under "## Users, keys and the first call"');
  return block;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => resolve(address !== null && typeof address === "object" ? address.port : 0));
    });
  });
}

describe("README: the first-call block", () => {
  let mock: MockLlm;
  beforeAll(async () => {
    mock = await startMockLlm();
  });
  afterAll(async () => {
    await mock?.close();
  });

  it("works when pasted into a shell", async () => {
    const block = firstCallBlock(readFileSync(new URL("../README.md", import.meta.url), "utf8"));
    // What a newcomer's shell has: none of the gateway's settings but the OpenAI key.
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const key of [...Object.keys(envSchema.shape), "HOST", "PORT", "GW", "H", "KEY"]) delete env[key];
    const port = await freePort();
    Object.assign(env, { OPENAI_API_KEY: "sk-readme-test", OPENAI_BASE_URL: mock.baseUrl, PORT: String(port), DATABASE_URL: "memory://" });

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
