// `npm run build`: one esbuild bundle per platform, from the same core. `--node` builds only the
// Node server (`npm start`), `--vercel` only the Edge Function and its Build Output (vercel.json).
//   dist/node/main.js          the Node server (`npm start` runs it; packages stay in node_modules)
//   dist/cloudflare/index.js   Worker module (adapters/cloudflare)
//   dist/vercel/index.js       Edge Function, also laid out for Vercel's Build Output API v3 in .vercel/output
//   dist/edge/index.js         the Edge Function wrapped for the edge-runtime test harness
import { copyFile, mkdir, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { envSchema } from "../src/config/schema.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

// Export conditions each platform's own bundler resolves with (wrangler; Vercel's edge builder),
// so a package with per-runtime builds gets the same one here as in a platform build.
const WORKERD = ["workerd", "worker", "browser"];
const EDGE_LIGHT = ["edge-light", "worker", "browser"];

async function bundle(entry: string, outfile: string, conditions: string[], format: "esm" | "iife" = "esm"): Promise<string> {
  await build({
    entryPoints: [join(root, entry)],
    outfile: join(root, outfile),
    bundle: true,
    format,
    platform: "browser",
    target: "es2022",
    conditions,
    minify: process.env.BUILD_MINIFY === "1",
    legalComments: "none",
    logLevel: "warning",
  });
  return join(root, outfile);
}

/**
 * The Node server as plain JavaScript, so that what runs is compiled ahead of time rather than
 * through tsx's loader (whose keep-names helpers wrap every closure the hot path creates).
 * Packages stay external: PGlite, pg and undici load from node_modules as they are.
 */
export async function buildNode(): Promise<string> {
  const outfile = join(root, "dist/node/main.js");
  await build({
    entryPoints: [join(root, "adapters/node/main.ts")],
    outfile,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    sourcemap: true,
    legalComments: "none",
    logLevel: "warning",
  });
  return outfile;
}

export const buildCloudflare = () => bundle("adapters/cloudflare/index.ts", "dist/cloudflare/index.js", WORKERD);

export const buildVercel = () => bundle("adapters/vercel/index.ts", "dist/vercel/index.js", EDGE_LIGHT);

/** edge-runtime runs a script, not a module: the harness registers a fetch listener. */
export const buildEdgeHarness = () => bundle("adapters/vercel/edge-harness.ts", "dist/edge/index.js", EDGE_LIGHT, "iife");

/**
 * A prebuilt Edge Function sees only the project env vars its .vc-config.json lists, so list
 * every setting the config schema reads (PORT and migrating at start mean nothing on Vercel).
 */
const NODE_ONLY = ["PORT", "GATEWAY_MIGRATE_ON_START"];
export const vercelEnvVarsInUse: readonly string[] = Object.keys(envSchema.shape).filter((k) => !NODE_ONLY.includes(k));

/** Vercel's Build Output API v3: a single Edge Function answering every path. */
export async function writeVercelOutput(bundlePath: string): Promise<string> {
  const out = join(root, ".vercel/output");
  await rm(out, { recursive: true, force: true });
  const fn = join(out, "functions/index.func");
  await mkdir(fn, { recursive: true });
  await copyFile(bundlePath, join(fn, "index.js"));
  const vcConfig = { runtime: "edge", entrypoint: "index.js", envVarsInUse: vercelEnvVarsInUse };
  await writeFile(join(fn, ".vc-config.json"), JSON.stringify(vcConfig, null, 2));
  await writeFile(join(out, "config.json"), JSON.stringify({ version: 3, routes: [{ src: "/(.*)", dest: "/index" }] }, null, 2));
  return out;
}

async function main() {
  const only = process.argv.includes("--node") ? "node" : process.argv.includes("--vercel") ? "vercel" : "all";
  const built: string[] = [];
  if (only !== "vercel") built.push(await buildNode());
  if (only === "node") return;
  if (only === "all") built.push(await buildCloudflare());
  const vercel = await buildVercel();
  const output = await writeVercelOutput(vercel);
  built.push(vercel);
  if (only === "all") built.push(await buildEdgeHarness());
  for (const f of built) console.log(`${f.slice(root.length + 1)}  ${((await stat(f)).size / 1024).toFixed(0)} KiB`);
  console.log(`${output.slice(root.length + 1)}  Build Output API v3, edge function "index" for every path`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
