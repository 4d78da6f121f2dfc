// deno.json's tasks, run the way a Deno user runs them (`deno task …` with the npm package's
// deno). Inside `deno task`, a bare `deno` resolves to node_modules/.bin/deno, which deno would
// run as JavaScript; the tasks call the binary by path instead.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEdgeStandIns, type EdgeStorageStandIns } from "./support/runtimes/edge-storage.ts";
import { spawnGroup } from "./support/processes.ts";
import { serviceAvailable } from "./support/services.ts";

const exec = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));
const DENO = `${root}node_modules/.bin/deno`;
const services = (await serviceAvailable("postgres")) && (await serviceAvailable("redis"));

/** Only what deno needs to find its cache, as a shell without the gateway's settings has. */
const baseEnv = () => ({ PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" });

describe("deno tasks", () => {
  it("deno task check type-checks the Deno adapter", async () => {
    const { stdout, stderr } = await exec(DENO, ["task", "check"], { cwd: root, env: baseEnv(), timeout: 120_000 });
    expect(`${stdout}${stderr}`).toContain("Check adapters/deno/main.ts");
  }, 130_000);

  it("deno task start refuses to start without storage, naming every missing setting", async () => {
    const task = spawnGroup(DENO, ["task", "start"], { cwd: root, env: { ...baseEnv(), PORT: "0" } });
    const exit = await new Promise<number | null>((resolve) => task.child.once("exit", resolve));
    expect(exit).toBe(1);
    expect(task.output()).toContain(
      "invalid configuration: DATABASE_URL: is required on Deno (a Neon connection string); UPSTASH_REDIS_REST_URL: is required on Deno (rate counters live in Upstash); UPSTASH_REDIS_REST_TOKEN: is required on Deno",
    );
  }, 60_000);

  describe.skipIf(!services)("with Neon and Upstash stand-ins", () => {
    let standIns: EdgeStorageStandIns;
    beforeAll(async () => {
      standIns = await startEdgeStandIns();
    });
    afterAll(async () => {
      await standIns?.close();
    });

    it("deno task start serves the gateway on HOST and PORT", async () => {
      const task = spawnGroup(DENO, ["task", "start"], { cwd: root, env: { ...baseEnv(), ...standIns.env, HOST: "127.0.0.1", PORT: "0" } });
      try {
        const [, url] = await task.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/, 60_000);
        expect((await fetch(`${url}/readyz`)).status).toBe(200);
      } finally {
        expect((await task.stop("SIGINT")).leftovers).toEqual([]);
      }
    }, 90_000);
  });
});
