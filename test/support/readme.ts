// The README's shell blocks, as tests paste them: by the heading they stand under.
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { envSchema } from "../../src/config/schema.ts";

export const readme = (): string => readFileSync(new URL("../../README.md", import.meta.url), "utf8");

/** Every ```sh block of the section whose heading starts with `heading`, in order. */
export function shellBlocks(text: string, heading: string): string[] {
  const section = text.split(/^## /m).find((s) => s.startsWith(heading));
  const blocks = section ? [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!) : [];
  if (blocks.length === 0) throw new Error(`README.md has no \`\`\`sh block under "## ${heading}"`);
  return blocks;
}

/** The first ```sh block under the heading "Users, keys and the first call". */
export const firstCallBlock = (text: string): string => shellBlocks(text, "Users, keys and the first call")[0]!;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => resolve(address !== null && typeof address === "object" ? address.port : 0));
    });
  });
}

/** What a newcomer's shell has: none of the gateway's settings but the OpenAI key (here, the mock's). */
export function newcomerEnv(port: number, openAiBaseUrl: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of [...Object.keys(envSchema.shape), "HOST", "PORT", "GW", "H", "KEY"]) delete env[key];
  return { ...env, OPENAI_API_KEY: "sk-readme-test", OPENAI_BASE_URL: openAiBaseUrl, PORT: String(port), DATABASE_URL: "memory://" };
}
