// `npm run dev:deno`: adapters/deno/main.ts through `deno task start` (deno.json), with the npm
// package's deno binary, as an operator runs it before `deno deploy`.
import { join } from "node:path";
import { spawnGroup } from "./child.ts";
import type { DevServer, DevTarget } from "./target.ts";

async function start(settings: Record<string, string>, host: string, port: number, root: string): Promise<DevServer> {
  const deno = join(root, "node_modules/.bin/deno");
  const { child, stop } = spawnGroup(deno, ["task", "start"], {
    cwd: root,
    // Only the gateway's settings and what deno needs to find its cache, as on Deno Deploy.
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1", ...settings, HOST: host, PORT: String(port) },
  });
  return { url: `http://${host}:${port}`, child, close: stop };
}

export const deno: DevTarget = { title: "Deno, deno task start", start };
