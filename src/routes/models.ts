import { json } from "../http/json.ts";
import type { Provider } from "../providers/builtin.ts";

// A fixed timestamp: the catalog is static, and a stable answer caches well.
const CATALOG_CREATED = 1_735_689_600;

/** GET /v1/models: every listed model of every enabled provider, as `<provider>/<model>`. */
export function listModels(providers: ReadonlyMap<string, Provider>) {
  const data = [...providers.values()].flatMap((p) =>
    p.models.map((m) => ({ id: `${p.id}/${m}`, object: "model", created: CATALOG_CREATED, owned_by: p.id })),
  );
  const body = JSON.stringify({ object: "list", data });
  return () => new Response(body, { headers: { "content-type": "application/json" } });
}

export const healthz = () => json({ ok: true });
