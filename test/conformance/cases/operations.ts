// GET /healthz, /readyz and the model list: what answers before any upstream is involved.
import { describe, expect, it } from "vitest";
import type { Conformance } from "../context.ts";

export function operationsCases(t: Conformance): void {
  const { fetch, gw, expectError } = t;
  describe("operations and catalog", () => {
    it("GET /healthz answers ok with a request id", async () => {
      const res = await fetch(`${gw.url}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ ok: true });
      expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    });

    it("GET /readyz checks the database", async () => {
      const res = await fetch(`${gw.url}/readyz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ ok: true });
    });

    it("GET /v1/models lists the enabled providers only", async () => {
      const res = await fetch(`${gw.url}/v1/models`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { object: string; data: { id: string; object: string; owned_by: string }[] };
      expect(body.object).toBe("list");
      const ids = body.data.map((m) => m.id);
      expect(ids).toContain("openai/mock-model");
      expect(ids).toContain("openai/free-mock");
      expect(ids).toContain("acme/acme-large");
      // In the catalog, but its provider has no key here.
      expect(ids.some((id) => id.startsWith("groq/"))).toBe(false);
      const free = body.data.find((m) => m.id === "openai/free-mock") as Record<string, unknown> | undefined;
      expect(free).toMatchObject({ free: true, upstream_model: "mock-model" });
      const paid = body.data.find((m) => m.id === "openai/mock-model") as Record<string, unknown> | undefined;
      expect(paid).toMatchObject({ free: false, pricing: { input: 0.15, output: 0.6 } });
      expect(body.data.every((m) => m.object === "model" && m.id.startsWith(`${m.owned_by}/`))).toBe(true);
    });

    it("GET /v1/models/{id} answers the list's entry, the id's slash raw or percent-encoded", async () => {
      const list = (await (await fetch(`${gw.url}/v1/models`)).json()) as { data: { id: string }[] };
      for (const id of ["openai/free-mock", "openai/org/some-model", "openai/模型-large", "acme/acme-large"]) {
        const entry = list.data.find((m) => m.id === id);
        expect(entry).toBeDefined();
        // The openai SDK sends encodeURIComponent(id); curl users type the slash.
        for (const path of [encodeURIComponent(id), id, `${encodeURIComponent(id)}/`]) {
          const res = await fetch(`${gw.url}/v1/models/${path}`);
          expect(res.status).toBe(200);
          expect(res.headers.get("x-request-id")).toBeTruthy();
          expect(await res.json()).toEqual(entry);
        }
      }
    });

    it("GET /v1/models/{id} of a model not listed answers 404 model_not_found", async () => {
      for (const path of ["openai%2Fnope", "nope", "groq%2Fllama-3", "%E0%A4%A"]) {
        const error = await expectError(await fetch(`${gw.url}/v1/models/${path}`), 404, "model_not_found");
        expect(error.param).toBe("model");
      }
    });

    it("each response gets its own request id", async () => {
      const [a, b] = await Promise.all([fetch(`${gw.url}/healthz`), fetch(`${gw.url}/healthz`)]);
      expect(a.headers.get("x-request-id")).not.toBe(b.headers.get("x-request-id"));
    });
  });
}
