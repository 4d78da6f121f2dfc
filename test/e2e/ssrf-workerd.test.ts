// The SSRF table on workerd: URL parsing (which turns every IPv4 spelling into dotted form) is
// the runtime's, so the guard must give the same verdicts there as on Node. A tiny Worker
// bundles the guard and judges the table's URLs; this file compares its answers.
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compatibility } from "../support/runtimes/workerd.ts";
import { ACCEPTED, REJECTED } from "../support/ssrf-table.ts";

const WORKER = `
import { checkUpstreamUrl } from "../../src/ssrf/index.ts";
export default {
  async fetch(request) {
    const urls = await request.json();
    const policy = { trustedHosts: new Set() };
    return Response.json(urls.map((url) => {
      const v = checkUpstreamUrl(url, policy);
      return v.ok ? { ok: true, protocol: v.url.protocol } : { ok: false, reason: v.reason };
    }));
  },
};`;

type Verdict = { ok: true; protocol: string } | { ok: false; reason: string };

let mf: Miniflare;
let verdicts: Map<string, Verdict>;

beforeAll(async () => {
  const out = await build({
    stdin: { contents: WORKER, resolveDir: new URL(".", import.meta.url).pathname, loader: "ts" },
    bundle: true,
    format: "esm",
    platform: "neutral",
    write: false,
  });
  const script = out.outputFiles[0]?.text;
  if (!script) throw new Error("esbuild produced no worker");
  mf = new Miniflare({ modules: true, script, ...(await compatibility()) });
  const urls = [...REJECTED.map(([url]) => url), ...ACCEPTED];
  const res = await mf.dispatchFetch("http://worker/", { method: "POST", body: JSON.stringify(urls) });
  const answers = (await res.json()) as Verdict[];
  verdicts = new Map(urls.map((url, i) => [url, answers[i] ?? { ok: false, reason: "no answer" }]));
}, 60_000);

afterAll(async () => {
  await mf?.dispose();
});

describe("SSRF guard on workerd", () => {
  it.each(REJECTED)("rejects %s", (url, fragment) => {
    const v = verdicts.get(url);
    expect(v?.ok).toBe(false);
    if (v && !v.ok) expect(v.reason).toContain(fragment);
  });

  it.each(ACCEPTED)("accepts %s", (url) => {
    expect(verdicts.get(url)).toEqual({ ok: true, protocol: "https:" });
  });
});
