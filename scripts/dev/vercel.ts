// `npm run dev:vercel`: the Edge Function as `npm run build` bundles it, in the Vercel Edge
// runtime (the edge-runtime package). Like a deployment, it sees as process.env only the
// settings .vercel/output lists in envVarsInUse.
import { readFile } from "node:fs/promises";
import { EdgeRuntime, runServer } from "edge-runtime";
import { buildEdgeHarness, vercelEnvVarsInUse } from "../build.ts";
import type { DevServer, DevTarget } from "./target.ts";

let built: Promise<string> | undefined;

export async function startVercelEdge(settings: Record<string, string>, host: string, port: number): Promise<DevServer> {
  built ??= buildEdgeHarness();
  const exposed = Object.fromEntries(Object.entries(settings).filter(([k]) => vercelEnvVarsInUse.includes(k)));
  const runtime = new EdgeRuntime({
    initialCode: await readFile(await built, "utf8"),
    extend: (context) => Object.assign(context, { process: { env: exposed } }),
  });
  const server = await runServer({ runtime, port, host });
  return { url: server.url.replace(/\/$/, ""), close: () => server.close() };
}

export const vercel: DevTarget = { title: "Vercel Edge runtime, edge-runtime package", start: startVercelEdge };
