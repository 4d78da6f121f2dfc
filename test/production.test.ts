// A production install holds `dependencies` only (npm ci --omit=dev): the build, the migrations
// and `npm run start:prod` must work from it, and Vercel's install and build (vercel.json) must
// produce the Edge Function without the test runtimes (workerd, deno, wrangler, vitest).
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envSchema } from "../src/config/schema.ts";
import { startMockLlm, type MockLlm } from "./support/mock-llm/index.ts";
import { spawnGroup } from "./support/processes.ts";
import { freshDatabase, serviceAvailable } from "./support/services.ts";

const exec = promisify(execFile);
const repo = new URL("..", import.meta.url);
const postgres = await serviceAvailable("postgres");
const ADMIN = "production-admin-token-0123456789";

// What a deployment gets from the repository; node_modules, dist/ and test/ are not among them.
const SHIPPED = ["package.json", "package-lock.json", "vercel.json", "tsconfig.json", "drizzle", "src", "adapters", "scripts"];

interface Manifest {
  devDependencies: Record<string, string>;
}
interface Lock {
  packages: Record<string, { dev?: boolean }>;
}
interface VercelJson {
  installCommand: string;
  buildCommand: string;
}

/** The environment of a shell with none of the gateway's settings. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of [...Object.keys(envSchema.shape), "HOST", "PORT"]) delete env[key];
  // npm run sets these for the test runner itself; a shell would not have them.
  for (const key of Object.keys(env)) if (key.startsWith("npm_")) delete env[key];
  return { ...env, ...extra };
}

describe("a dependencies-only install", () => {
  let dir: string;
  let vercel: VercelJson;
  let mock: MockLlm;
  const sh = (command: string, extra: Record<string, string> = {}) => exec("sh", ["-c", command], { cwd: dir, env: cleanEnv(extra), timeout: 180_000 });

  beforeAll(async () => {
    mock = await startMockLlm();
    dir = await mkdtemp(join(tmpdir(), "edgegate-prod-"));
    for (const entry of SHIPPED) await cp(new URL(entry, repo), join(dir, entry), { recursive: true });
    vercel = JSON.parse(await readFile(join(dir, "vercel.json"), "utf8")) as VercelJson;
    // Vercel's install command is the production install: dependencies only.
    expect(vercel.installCommand).toBe("npm ci --omit=dev");
    await sh(vercel.installCommand);
  }, 200_000);

  afterAll(async () => {
    await mock?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("holds no package that only the devDependencies need, and nothing outside it resolves one", async () => {
    const { devDependencies } = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as Manifest;
    const lock = JSON.parse(await readFile(join(dir, "package-lock.json"), "utf8")) as Lock;
    const devOnly = Object.entries(lock.packages).filter(([path, p]) => path.startsWith("node_modules/") && p.dev === true);
    expect(devOnly.length).toBeGreaterThan(100);
    for (const [path] of devOnly) expect(existsSync(join(dir, path)), path).toBe(false);
    const resolveHere = createRequire(join(dir, "package.json"));
    for (const name of Object.keys(devDependencies)) {
      if (lock.packages[`node_modules/${name}`]?.dev !== true) continue; // also a production package's dependency (@types/node)
      expect(() => resolveHere.resolve(`${name}/package.json`), name).toThrow();
    }
    for (const runtime of ["vitest", "wrangler", "workerd", "deno", "miniflare", "edge-runtime"]) expect(existsSync(join(dir, "node_modules", runtime)), runtime).toBe(false);
  });

  it("runs vercel.json's build into .vercel/output", async () => {
    await sh(vercel.buildCommand);
    const output = join(dir, ".vercel/output");
    expect(JSON.parse(await readFile(join(output, "config.json"), "utf8"))).toMatchObject({ version: 3 });
    const fn = join(output, "functions/index.func");
    expect(JSON.parse(await readFile(join(fn, ".vc-config.json"), "utf8"))).toMatchObject({ runtime: "edge", entrypoint: "index.js" });
    expect((await stat(join(fn, "index.js"))).size).toBeGreaterThan(100_000);
  }, 120_000);

  it("builds, then serves a chat completion with npm run start:prod", async () => {
    await sh("npm run build");
    const gw = spawnGroup("npm", ["run", "start:prod"], {
      cwd: dir,
      env: cleanEnv({ DATABASE_URL: "memory://", PORT: "0", GATEWAY_ADMIN_TOKEN: ADMIN, OPENAI_API_KEY: "sk-prod", OPENAI_BASE_URL: mock.baseUrl }),
    });
    try {
      const [, url] = await gw.waitFor(/listening on (http:\/\/\S+)\n[\s\S]*\(README\.md/, 30_000);
      const admin = (path: string, body: unknown) =>
        fetch(`${url}${path}`, { method: "POST", headers: { authorization: `Bearer ${ADMIN}` }, body: JSON.stringify(body) });
      const owner = { type: "user", id: "prod" };
      expect((await admin("/admin/users", { id: "prod" })).status).toBe(201);
      expect((await admin("/admin/models", { id: "openai/mock-model", provider: "openai", input_price: 0.15, output_price: 0.6 })).status).toBe(200);
      expect((await admin("/admin/credits", { owner, amount_microdollars: 1_000_000 })).status).toBe(200);
      const { key } = (await (await admin("/admin/api-keys", { owner })).json()) as { key: string };
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}` },
        body: JSON.stringify({ model: "openai/mock-model", messages: [{ role: "user", content: "Hello" }], stream: true }),
      });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain("data: [DONE]");
    } finally {
      expect((await gw.stop("SIGTERM")).leftovers).toEqual([]);
    }
  }, 120_000);

  it.skipIf(!postgres)("migrates a PostgreSQL database with npm run db:migrate", async () => {
    const url = await freshDatabase("edgegate_prod_migrate");
    const { stdout } = await sh("npm run --silent db:migrate", { DATABASE_URL: url });
    expect(stdout).toMatch(/^postgres database at 127\.0\.0\.1:5432: applied [1-9]\d* migration\(s\)/);
  }, 60_000);
});
