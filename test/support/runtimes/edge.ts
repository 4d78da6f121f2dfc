// The Vercel adapter in the Vercel Edge runtime (the `edge-runtime` package). Like a deployed
// Edge Function, it sees as process.env only the vars .vercel/output lists in envVarsInUse.
import { readFile } from "node:fs/promises";
import { EdgeRuntime, runServer } from "edge-runtime";
import { buildEdgeHarness, vercelEnvVarsInUse } from "../../../scripts/build.ts";

let built: Promise<string> | undefined;

export async function startEdge(env: Record<string, string>): Promise<{ url: string; close(): Promise<void> }> {
  built ??= buildEdgeHarness();
  const exposed = Object.fromEntries(Object.entries(env).filter(([k]) => vercelEnvVarsInUse.includes(k)));
  const runtime = new EdgeRuntime({
    initialCode: await readFile(await built, "utf8"),
    extend: (context) => Object.assign(context, { process: { env: exposed } }),
  });
  const server = await runServer({ runtime, port: 0, host: "127.0.0.1" });
  return { url: server.url.replace(/\/$/, ""), close: () => server.close() };
}
