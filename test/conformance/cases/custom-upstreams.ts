// The caller's own upstreams and provider keys, and the SSRF guard on them.
import { describe, expect, it } from "vitest";
import type { Conformance } from "../context.ts";
import { UPSTREAM_KEY } from "../settings.ts";

export function customUpstreamCases(t: Conformance): void {
  const { fetch, gw, mock, chat, expectError, hi } = t;
  describe("custom upstreams and BYOK keys", () => {
    const OWN_KEY = "sk-own-upstream-conformance-0123";
    const BYOK_KEY = "sk-byok-openai-conformance-4567";
    const self = () => ({ authorization: `Bearer ${t.apiKey}`, "content-type": "application/json" });
    const lastChat = () => mock.requests.filter((r) => r.path.endsWith("/chat/completions")).at(-1);

    it("routes <provider_id>/<model> to the caller's own upstream with its sealed key and headers", async () => {
      const created = await fetch(`${gw.url}/v1/upstreams`, {
        method: "POST",
        headers: self(),
        body: JSON.stringify({ provider_id: "own", display_name: "Own", base_url: mock.baseUrl, api_key: OWN_KEY, extra_headers: { "x-own": "yes" }, models: [{ id: "mock-model" }] }),
      });
      expect(created.status).toBe(201);
      const view = (await created.json()) as { id: string };
      expect(JSON.stringify(view)).not.toContain(OWN_KEY);

      const res = await chat({ model: "own/mock-model", messages: hi });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-gateway-provider")).toBe("own");
      expect(((await res.json()) as { model: string }).model).toBe("own/mock-model");
      expect(lastChat()?.headers).toMatchObject({ authorization: `Bearer ${OWN_KEY}`, "x-own": "yes" });
      expect(lastChat()?.body).toMatchObject({ model: "mock-model" });

      const models = (await (await fetch(`${gw.url}/v1/models`, { headers: self() })).json()) as { data: { id: string }[] };
      expect(models.data.map((m) => m.id)).toContain("own/mock-model");
      expect((await fetch(`${gw.url}/v1/upstreams/${view.id}`, { method: "DELETE", headers: self() })).status).toBe(204);
      await expectError(await chat({ model: "own/mock-model", messages: hi }), 404, "model_not_found");
    });

    it("uses the caller's saved key for a built-in provider, and the operator's once it is deleted", async () => {
      const saved = await fetch(`${gw.url}/v1/byok-keys/openai`, { method: "PUT", headers: self(), body: JSON.stringify({ api_key: BYOK_KEY }) });
      expect(saved.status).toBe(200);
      expect(JSON.stringify(await saved.json())).not.toContain(BYOK_KEY);
      expect((await chat({ model: "openai/mock-model", messages: hi })).status).toBe(200);
      expect(lastChat()?.headers.authorization).toBe(`Bearer ${BYOK_KEY}`);
      expect((await fetch(`${gw.url}/v1/byok-keys/openai`, { method: "DELETE", headers: self() })).status).toBe(204);
      expect((await chat({ model: "openai/mock-model", messages: hi })).status).toBe(200);
      expect(lastChat()?.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    });

    it("refuses an upstream URL that points inside the network", async () => {
      const res = await fetch(`${gw.url}/v1/upstreams`, {
        method: "POST",
        headers: self(),
        body: JSON.stringify({ provider_id: "meta", display_name: "x", base_url: "https://[::ffff:169.254.169.254]/v1", api_key: "sk-meta-0000000000" }),
      });
      const err = await expectError(res, 400, "unsafe_upstream_url");
      expect(err.message).toContain("169.254.169.254");
    });
  });
}
