// POST /v1/upstreams/{id}/test      GET {base_url}/models with the stored key: {ok, status, latency_ms, error?}
// POST /v1/upstreams/{id}/discover  the upstream's model list as `models`; with body {"save": true}
//                                   it also becomes the upstream's models metadata (fields the
//                                   owner entered and the upstream does not report are kept).
// An upstream's words reach the client here too, so none of the credentials it was sent come back.
import { redactText, redactValue, sentSecrets } from "../../proxy/redact.ts";
import { mergeModels, parseModelList, probeModels } from "../../upstreams/probe.ts";
import { signedInCaller } from "../auth.ts";
import { route } from "../route.ts";
import { discoverBody, discoveryReport, probeReport } from "../schemas/upstreams.ts";
import { upstreamFor, upstreamNotFound, upstreamSecrets } from "./upstream-lookup.ts";
import { updateUpstream } from "../../credentials/upstreams.ts";

/** A probe's error text (an upstream's or the transport's words) without the credentials it sent. */
const cleanError = (secrets: { apiKey: string; extraHeaders: Record<string, string> }, error: string): string =>
  redactText(error, sentSecrets(secrets.apiKey, secrets.extraHeaders));

export const testUpstreamRoute = route({
  id: "testUpstream",
  method: "POST",
  path: "/v1/upstreams/{id}/test",
  summary: "Calls the upstream's /models with its stored key and reports status and latency.",
  tag: "upstreams",
  auth: signedInCaller,
  answer: { status: 200, schema: probeReport },
  errors: [404, 503],
  async handler({ c, caller, params }) {
    const found = await upstreamFor(c, caller, params.id ?? "", "read");
    const secrets = await upstreamSecrets(c, found.owner, found.id);
    const probe = await probeModels(c, found.baseUrl, secrets);
    const { ok, status, latency_ms } = probe;
    return probe.ok ? { ok, status, latency_ms } : { ok, status, latency_ms, error: cleanError(secrets, probe.error) };
  },
});

export const discoverUpstreamRoute = route({
  id: "discoverUpstream",
  method: "POST",
  path: "/v1/upstreams/{id}/discover",
  summary: "Fetches the upstream's model list and offers it as `models` (saved with {\"save\": true}).",
  tag: "upstreams",
  auth: signedInCaller,
  body: discoverBody,
  answer: { status: 200, schema: discoveryReport },
  errors: [400, 403, 404, 503],
  async handler({ c, caller, params, body }) {
    const { save } = await body();
    const found = await upstreamFor(c, caller, params.id ?? "", save ? "write" : "read");
    const secrets = await upstreamSecrets(c, found.owner, found.id);
    const probe = await probeModels(c, found.baseUrl, secrets);
    const { status, latency_ms } = probe;
    if (!probe.ok) return { ok: false, status, latency_ms, error: cleanError(secrets, probe.error), saved: false };
    const listed = parseModelList(probe.body);
    if (listed === null) return { ok: false, status, latency_ms, error: "the upstream's /models answer is not an OpenAI-style model list", saved: false };
    // What the upstream listed is its own words: a model entry quoting a credential is dropped.
    const sent = sentSecrets(secrets.apiKey, secrets.extraHeaders);
    const clean = listed.filter((m) => JSON.stringify(redactValue(m, sent)) === JSON.stringify(m));
    const models = mergeModels(clean, found.models);
    if (save) {
      if (!(await updateUpstream(c.db, null, found.owner, found.id, { models }))) throw upstreamNotFound(found.id)();
      c.events.emit("ownerChanged", found.owner);
    }
    return { ok: true, status, latency_ms, models, saved: save === true };
  },
});
