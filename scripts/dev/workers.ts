// `npm run dev:workers`: the Worker under `wrangler dev` in local mode (workerd on this machine,
// no Cloudflare account), built from adapters/cloudflare/wrangler.toml as `wrangler deploy` builds it.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnGroup } from "./child.ts";
import type { DevServer, DevTarget } from "./target.ts";

/** A dotenv line wrangler reads back as the same string (JSON settings carry double quotes). */
function dotenvLine(key: string, value: string): string {
  if (!value.includes("'") && !value.includes("\n")) return `${key}='${value}'`;
  return `${key}="${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n")}"`;
}

async function start(settings: Record<string, string>, host: string, port: number, root: string): Promise<DevServer> {
  // Settings reach the Worker through an env file, not --var, so keys stay out of `ps`.
  const dir = await mkdtemp(join(tmpdir(), "edgegate-dev-workers-"));
  const envFile = join(dir, "worker.env");
  await writeFile(envFile, Object.entries(settings).map(([k, v]) => dotenvLine(k, v)).join("\n") + "\n", { mode: 0o600 });
  const wrangler = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");
  const args = ["dev", "-c", "adapters/cloudflare/wrangler.toml", "--local", "--ip", host, "--port", String(port)];
  args.push("--env-file", envFile, "--show-interactive-dev-session=false", "--log-level", "warn");
  const { child, stop } = spawnGroup(process.execPath, [wrangler, ...args], {
    cwd: root,
    // Offline and quiet: no usage metrics, and a placeholder `request.cf` instead of fetching one.
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", NO_COLOR: "1" },
  });
  return {
    url: `http://${host}:${port}`,
    child,
    close: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const workers: DevTarget = { title: "Cloudflare Workers, wrangler dev --local", start };
