// Named routes: storage and API (their use in chat requests is the resolver's, tested there).
import { describe, expect, it } from "vitest";
import type { Conformance } from "../context.ts";

export function namedRouteCases(t: Conformance): void {
  const { fetch, gw, admin, expectError, userId } = t;
  describe("named routes", () => {
    const self = () => ({ authorization: `Bearer ${t.apiKey}`, "content-type": "application/json" });
    const call = (method: string, path: string, body?: unknown) =>
      fetch(`${gw.url}${path}`, { method, headers: self(), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const to = (...models: string[]) => ({ strategy: "fallback", targets: models.map((model) => ({ model })) });

    it("self-service: saves, lists, reads, changes and removes a route; refuses a cycle", async () => {
      const name = `conf-${crypto.randomUUID().slice(0, 8)}`;
      const created = await call("POST", "/v1/routes", { name, ...to("openai/mock-model", "acme/acme-large"), retry: { attempts: 2 } });
      expect(created.status).toBe(201);
      expect(await created.json()).toMatchObject({ object: "route", name, model: `route/${name}`, owner: { type: "user", id: userId }, source: "api" });
      const listed = (await (await call("GET", "/v1/routes")).json()) as { data: { model: string; source: string }[] };
      expect(listed.data.map((r) => `${r.model} ${r.source}`)).toEqual(expect.arrayContaining([`route/${name} api`, "route/conformance-config config"]));
      expect((await call("GET", `/v1/routes/${name}`)).status).toBe(200);
      const weighted = { strategy: "weighted", targets: [{ model: "openai/mock-model", weight: 2 }, { model: "acme/acme-large", weight: 1 }], retry: null };
      const changed = await call("PATCH", `/v1/routes/${name}`, weighted);
      expect(changed.status).toBe(200);
      expect(await changed.json()).toMatchObject({ strategy: "weighted", targets: [{ weight: 2 }, { weight: 1 }] });
      await expectError(await call("PATCH", `/v1/routes/${name}`, { targets: [{ model: `route/${name}`, weight: 1 }] }), 400, "route_cycle");
      await expectError(await call("POST", "/v1/routes", { name, ...to("openai/mock-model") }), 409, "route_exists");
      await expectError(await call("POST", "/v1/routes", { name: "Not A Slug", ...to("openai/mock-model") }), 400, "invalid_body");
      await expectError(await call("PATCH", "/v1/routes/conformance-config", { sticky: "user" }), 403, "route_read_only");
      const models = (await (await call("GET", "/v1/models")).json()) as { data: { id: string; route?: unknown }[] };
      expect(models.data.find((m) => m.id === `route/${name}`)).toMatchObject({ route: { strategy: "weighted" } });
      expect((await call("DELETE", `/v1/routes/${name}`)).status).toBe(204);
      await expectError(await call("GET", `/v1/routes/${name}`), 404, "named_route_not_found");
      await expectError(await call("DELETE", `/v1/routes/${name}`), 404, "named_route_not_found");
    });

    it("operator: an alias named by a model id, its slash percent-encoded in the path; config routes read-only", async () => {
      const alias = `openai/alias-${crypto.randomUUID().slice(0, 8)}`;
      const path = `/admin/routes/${encodeURIComponent(alias)}`;
      const failover = { error_rate_threshold: 0.5, window_s: 60, min_requests: 5, cooldown_s: 30 };
      const created = await admin("POST", "/admin/routes", { name: alias, ...to(alias, "acme/acme-large"), failover });
      expect(created.status).toBe(201);
      expect(await created.json()).toMatchObject({ name: alias, model: alias, owner: null, source: "api" });
      expect(await (await admin("GET", path)).json()).toMatchObject({ name: alias, failover });
      const changed = await admin("PATCH", path, { sticky: "task" });
      expect(changed.status).toBe(200);
      expect(await changed.json()).toMatchObject({ sticky: "task" });
      const listed = (await (await admin("GET", "/admin/routes")).json()) as { data: { name: string; source: string }[] };
      expect(listed.data.map((r) => `${r.name} ${r.source}`)).toEqual(expect.arrayContaining([`${alias} api`, "conformance-config config"]));
      const health = (await (await admin("GET", "/admin/route-health")).json()) as { data: { name: string }[] };
      expect(health.data.map((r) => r.name)).toContain(alias);
      await expectError(await admin("POST", "/admin/routes", { name: alias, ...to("openai/mock-model") }), 409, "route_exists");
      await expectError(await admin("PATCH", "/admin/routes/conformance-config", { sticky: "task" }), 403, "route_read_only");
      expect((await admin("DELETE", path)).status).toBe(204);
      await expectError(await admin("GET", path), 404, "named_route_not_found");
    });
  });
}
