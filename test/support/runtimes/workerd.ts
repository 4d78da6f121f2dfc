// The Cloudflare adapter in workerd (miniflare), built as `npm run build` builds it and run with
// the compatibility settings wrangler.toml deploys with.
import { readFile } from "node:fs/promises";
import { Miniflare } from "miniflare";
import { buildCloudflare } from "../../../scripts/build.ts";

const WRANGLER_TOML = new URL("../../../adapters/cloudflare/wrangler.toml", import.meta.url);

/** The two top-level keys we need; a TOML parser would be a dependency for two lines. */
export async function compatibility(): Promise<{ compatibilityDate: string; compatibilityFlags: string[] }> {
  const toml = await readFile(WRANGLER_TOML, "utf8");
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  if (!date) throw new Error("adapters/cloudflare/wrangler.toml has no compatibility_date");
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1] ?? "";
  return { compatibilityDate: date, compatibilityFlags: [...flags.matchAll(/"([^"]+)"/g)].map((m) => m[1]!) };
}

let built: Promise<string> | undefined;

export async function startWorkerd(env: Record<string, string>): Promise<{ url: string; close(): Promise<void> }> {
  built ??= buildCloudflare();
  const mf = new Miniflare({
    modules: true,
    scriptPath: await built,
    bindings: env,
    ...(await compatibility()),
    port: 0,
    host: "127.0.0.1",
  });
  const url = await mf.ready;
  return { url: url.origin, close: () => mf.dispose() };
}
