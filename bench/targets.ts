// Starts the mock upstream, edgegate's node adapter and Portkey as child processes and describes
// how to call each. Every child is tracked so that run.ts can kill them all on any exit path.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { request } from "undici";
import pg from "pg";
import { migratePostgres } from "../adapters/node/storage.ts";
import { buildNode } from "../scripts/build.ts";
import type { TargetName } from "./options.ts";

export interface Target {
  name: TargetName;
  /** http://127.0.0.1:PORT */
  origin: string;
  path: string;
  headers: Record<string, string>;
  model: string;
  /** the process that answers (the mock, for direct), for its CPU time */
  pid: number | undefined;
}

interface Child {
  label: string;
  proc: ChildProcess;
  /** the last few KB of its stdout+stderr, for error messages */
  tail(): string;
}

const children: Child[] = [];
const START_TIMEOUT_MS = 30_000;
const UPSTREAM_KEY = "sk-bench";
const CHAT_PATH = "/v1/chat/completions";

function launch(label: string, args: string[], env: Record<string, string> = {}): Child {
  const proc = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  // Always drain the pipes: a child blocks once an unread pipe buffer fills (Portkey logs a lot).
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString("utf8")).slice(-4000);
  };
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  const child = { label, proc, tail: () => log.trim() };
  children.push(child);
  return child;
}

const running = (c: Child) => c.proc.exitCode === null && c.proc.signalCode === null;

/** Synchronous, for process "exit" handlers. */
export function killAllNow(): void {
  for (const c of children) if (running(c)) c.proc.kill("SIGKILL");
}

/** SIGTERM, then SIGKILL whatever is still alive after a grace period. */
export async function stopAll(graceMs = 2000): Promise<void> {
  const alive = children.filter(running);
  await Promise.all(
    alive.map(
      (c) =>
        new Promise<void>((done) => {
          const timer = setTimeout(() => {
            c.proc.kill("SIGKILL");
            done();
          }, graceMs);
          c.proc.once("exit", () => {
            clearTimeout(timer);
            done();
          });
          c.proc.kill("SIGTERM");
        }),
    ),
  );
}

function failure(child: Child, why: string): Error {
  return new Error(`${child.label}: ${why}\n--- its output ---\n${child.tail() || "(none)"}`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls `url` until it answers with `expectStatus`, the child dies, or the timeout passes. */
async function waitForHttp(child: Child, url: string, expectStatus: number): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!running(child)) throw failure(child, `exited (code ${child.proc.exitCode ?? child.proc.signalCode}) before answering ${url}`);
    try {
      const res = await request(url, { headersTimeout: 1000, bodyTimeout: 1000 });
      await res.body.dump();
      if (res.statusCode === expectStatus) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw failure(child, `no ${expectStatus} from ${url} within ${START_TIMEOUT_MS} ms`);
}

/** The mock prints one JSON line {"url": "..."} once it listens. */
async function startMock(): Promise<{ url: string; pid: number | undefined }> {
  const child = launch("mock upstream", ["--import", "tsx", "test/support/mock-llm/cli.ts", "--port", "0"]);
  return new Promise((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => reject(failure(child, `no {"url"} line within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      for (const line of buffered.split("\n")) {
        try {
          const parsed: unknown = JSON.parse(line);
          if (typeof parsed === "object" && parsed !== null && "url" in parsed && typeof parsed.url === "string") {
            clearTimeout(timer);
            child.proc.stdout?.off("data", onData);
            resolve({ url: parsed.url.replace(/\/$/, ""), pid: child.proc.pid });
            return;
          }
        } catch {
          // not the JSON line (or not complete yet)
        }
      }
    };
    child.proc.stdout?.on("data", onData);
    child.proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(failure(child, `exited (code ${code}) before printing its url`));
    });
  });
}

/** Operator API call against a freshly started edgegate; returns the parsed JSON answer. */
async function operator(origin: string, token: string, path: string, body: unknown): Promise<unknown> {
  const res = await request(`${origin}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`edgegate ${path} answered ${res.statusCode}: ${text}`);
  return JSON.parse(text);
}

/**
 * edgegate as a deployment runs it: authenticated with one of its own API keys (created through
 * the operator API) and the model in its catalog. The bench's warm-up fills the per-isolate
 * caches, so the measured requests take the warm path. The database is an in-memory PGlite.
 */
/**
 * The database edgegate runs on in the bench. Accounting writes one ledger row per request, so
 * where that row goes is part of what is measured: a self-hosted Node deployment uses
 * PostgreSQL (DATABASE_URL=postgres://…), which the bench uses when one answers on
 * 127.0.0.1:5432 (a fresh `edgegate_bench` database); otherwise the embedded PGlite, whose
 * WASM engine runs on the gateway's own event loop. BENCH_DATABASE_URL overrides both.
 */
export async function benchDatabase(): Promise<{ url: string; label: string }> {
  const given = process.env.BENCH_DATABASE_URL;
  if (given) return { url: given, label: given === "memory://" ? "embedded PGlite (in memory)" : "BENCH_DATABASE_URL" };
  const admin = new pg.Client({ connectionString: "postgres://postgres@127.0.0.1:5432/postgres", connectionTimeoutMillis: 1000 });
  try {
    await admin.connect();
  } catch {
    return { url: "memory://", label: "embedded PGlite (in memory; no PostgreSQL on 127.0.0.1:5432)" };
  }
  try {
    await admin.query("DROP DATABASE IF EXISTS edgegate_bench WITH (FORCE)");
    await admin.query("CREATE DATABASE edgegate_bench");
  } finally {
    await admin.end();
  }
  const url = "postgres://postgres@127.0.0.1:5432/edgegate_bench";
  const pool = new pg.Pool({ connectionString: url });
  try {
    await migratePostgres(pool);
  } finally {
    await pool.end();
  }
  return { url, label: "PostgreSQL on 127.0.0.1:5432 (database edgegate_bench)" };
}

/** The route the `edgegate-route` target calls: half to the plain model, half to a second catalog id. */
const ROUTE = "bench-split";

async function startEdgegate(mockUrl: string, databaseUrl: string): Promise<[Target, Target]> {
  const port = await freePort();
  const adminToken = `bench-admin-${crypto.randomUUID()}`;
  // What `npm start` runs: the Node adapter compiled ahead of time (scripts/build.ts).
  await buildNode();
  const child = launch("edgegate (node adapter)", ["--enable-source-maps", "dist/node/main.js"], {
    PORT: String(port),
    HOST: "127.0.0.1",
    DATABASE_URL: databaseUrl,
    GATEWAY_ADMIN_TOKEN: adminToken,
    // Limits high enough never to refuse, so every request still counts its requests and
    // reserves and settles its tokens (in-memory counters, as `npm start` runs them).
    GATEWAY_DEFAULT_RPM: "1000000000",
    GATEWAY_DEFAULT_TPM: "1000000000",
    OPENAI_API_KEY: UPSTREAM_KEY,
    OPENAI_BASE_URL: `${mockUrl}/v1`,
  });
  const origin = `http://127.0.0.1:${port}`;
  await waitForHttp(child, `${origin}/healthz`, 200);
  await operator(origin, adminToken, "/admin/users", { id: "bench" });
  // Paid model: the bench user needs credit (accounting debits it after each response).
  await operator(origin, adminToken, "/admin/credits", { owner: { type: "user", id: "bench" }, amount_microdollars: 1_000_000_000_000 });
  await operator(origin, adminToken, "/admin/models", { id: "openai/mock-model", provider: "openai", input_price: 0.15, output_price: 0.6 });
  await operator(origin, adminToken, "/admin/models", { id: "openai/mock-model-b", provider: "openai", upstream_model: "mock-model", input_price: 0.15, output_price: 0.6 });
  await operator(origin, adminToken, "/admin/routes", {
    name: ROUTE,
    strategy: "weighted",
    targets: [
      { model: "openai/mock-model", weight: 1 },
      { model: "openai/mock-model-b", weight: 1 },
    ],
  });
  const created = await operator(origin, adminToken, "/admin/api-keys", { owner: { type: "user", id: "bench" }, name: "bench" });
  const key = typeof created === "object" && created !== null && "key" in created ? created.key : undefined;
  if (typeof key !== "string") throw new Error("edgegate returned no API key");
  const plain: Target = {
    name: "edgegate",
    origin,
    path: CHAT_PATH,
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    model: "openai/mock-model",
    pid: child.proc.pid,
  };
  return [plain, { ...plain, name: "edgegate-route", model: `route/${ROUTE}` }];
}

async function startPortkey(mockUrl: string): Promise<Target> {
  const port = await freePort();
  const child = launch("portkey", ["node_modules/@portkey-ai/gateway/build/start-server.js", `--port=${port}`, "--headless"]);
  const origin = `http://127.0.0.1:${port}`;
  await waitForHttp(child, `${origin}/`, 200); // answers "AI Gateway says hey!"
  return {
    name: "portkey",
    origin,
    path: CHAT_PATH,
    headers: {
      "content-type": "application/json",
      "x-portkey-provider": "openai",
      "x-portkey-custom-host": `${mockUrl}/v1`,
      authorization: `Bearer ${UPSTREAM_KEY}`,
    },
    model: "mock-model",
    pid: child.proc.pid,
  };
}

/** Starts the mock (always) and the requested gateways; returns the targets in the asked order. */
export async function startTargets(names: TargetName[]): Promise<{ mockUrl: string; targets: Target[]; database: string | null }> {
  const mock = await startMock();
  const mockUrl = mock.url;
  const wantsEdgegate = names.includes("edgegate") || names.includes("edgegate-route");
  const db = wantsEdgegate ? await benchDatabase() : null;
  // One edgegate process answers both the plain model and the route.
  const edgegate = db ? startEdgegate(mockUrl, db.url) : null;
  const started = await Promise.all(
    names.map(async (name): Promise<Target> => {
      if (name === "edgegate" && edgegate) return (await edgegate)[0];
      if (name === "edgegate-route" && edgegate) return (await edgegate)[1];
      if (name === "portkey") return startPortkey(mockUrl);
      return {
        name: "direct",
        origin: mockUrl,
        path: CHAT_PATH,
        headers: { "content-type": "application/json", authorization: `Bearer ${UPSTREAM_KEY}` },
        model: "mock-model",
        pid: mock.pid,
      };
    }),
  );
  return { mockUrl, targets: started, database: db?.label ?? null };
}
