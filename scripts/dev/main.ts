// `npm run dev:workers | dev:deno | dev:vercel`: an edge adapter on this machine, against the
// project's own Neon and Upstash stand-ins (scripts/dev/stand-ins.ts), so an edge build can be
// tried before it is deployed. Settings come from the environment as on the platform; the
// stand-ins supply DATABASE_URL, NEON_FETCH_ENDPOINT and UPSTASH_*. HOST and PORT (default
// 127.0.0.1:8787; 0 = any free port) choose where it listens. Ctrl-C stops everything.
import { createServer } from "node:net";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startBanner } from "../../adapters/node/banner.ts";
import { listenFailure } from "../../adapters/node/http/listen-error.ts";
import { ConfigError, parseEdgeConfig } from "../../src/index.ts";
import { enabledProviders, envSchema } from "../../src/index.ts";
import { waitForHealthy } from "./child.ts";
import { deno } from "./deno.ts";
import { DevSetupError, startDevStandIns } from "./stand-ins.ts";
import type { DevTarget } from "./target.ts";
import { vercel } from "./vercel.ts";
import { workers } from "./workers.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const TARGETS: Record<string, DevTarget> = { workers, deno, vercel };
const START_TIMEOUT_MS = 90_000;

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

/** A port nothing listens on now, for platforms that must be told one. */
function freePort(host: string): Promise<number> {
  return new Promise((done, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      const port = address !== null && typeof address === "object" ? address.port : 0;
      probe.close(() => done(port));
    });
  });
}

const name = process.argv[2] ?? "";
const target = TARGETS[name];
if (!target) fail(`usage: node --import tsx scripts/dev/main.ts <${Object.keys(TARGETS).join("|")}>`);

// The gateway's own settings from the environment (what a platform's env would hold).
const settings: Record<string, string> = {};
for (const key of Object.keys(envSchema.shape)) {
  const value = process.env[key];
  if (value !== undefined && value !== "") settings[key] = value;
}
const host = process.env.HOST || "127.0.0.1";
const requested = Number(process.env.PORT || 8787);
if (!Number.isInteger(requested) || requested < 0 || requested > 65_535) fail("PORT must be a whole number between 0 and 65535");

let standIns;
try {
  standIns = await startDevStandIns(process.env);
} catch (err) {
  if (err instanceof DevSetupError) fail(err.message);
  throw err;
}
const env = { ...settings, ...standIns.env };
let config;
try {
  config = parseEdgeConfig(env, target.title);
} catch (err) {
  await standIns.close();
  if (err instanceof ConfigError) fail(err.message);
  throw err;
}

const port = requested === 0 ? await freePort(host) : requested;
let server;
try {
  server = await target.start(env, host, port, root);
} catch (err) {
  await standIns.close();
  // An address in use (the in-process Edge runtime) is one line naming PORT, as for npm start.
  fail(listenFailure(err, host, port) ?? `dev:${name}: ${err instanceof Error ? err.message : String(err)}`);
}
let stopping = false;
const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  await server.close().catch(() => {});
  await standIns.close().catch(() => {});
  process.exit(code);
};
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void stop(0));
// If the platform's server dies on its own, take the stand-ins down with it.
server.child?.once("exit", (code) => void stop(code ?? 1));

try {
  await waitForHealthy(server.url, server.child, START_TIMEOUT_MS);
} catch (err) {
  console.error(`dev:${name}: ${err instanceof Error ? err.message : String(err)}`);
  await stop(1);
}
console.log(
  startBanner({
    url: server.url,
    runtime: target.title,
    database: standIns.database,
    storage: "ready",
    counters: standIns.counters,
    providers: [...enabledProviders(config).keys()],
    operatorApi: config.GATEWAY_ADMIN_TOKEN !== undefined,
  }),
);
console.log("  (Ctrl-C stops the server and the stand-ins)");
