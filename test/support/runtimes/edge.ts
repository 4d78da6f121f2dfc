// The Vercel adapter in the Vercel Edge runtime (the `edge-runtime` package), started the way
// `npm run dev:vercel` starts it: like a deployed Edge Function, it sees as process.env only the
// vars .vercel/output lists in envVarsInUse.
import { startVercelEdge } from "../../../scripts/dev/vercel.ts";

export const startEdge = (env: Record<string, string>): Promise<{ url: string; close(): Promise<void> }> => startVercelEdge(env, "127.0.0.1", 0);
