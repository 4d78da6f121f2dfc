// Operator API: API keys for any owner, credit, and the model catalog.
import { modelView } from "../../catalog/model-view.ts";
import { GatewayError } from "../../http/errors.ts";
import { FOREIGN_KEY_VIOLATION, sqlState } from "../../store/pg-error.ts";
import { createApiKey } from "../../auth/api-keys.ts";
import { getModel, upsertModel } from "../../store/repos/catalog.ts";
import { addCredit } from "../../store/repos/credit.ts";
import { operator } from "../auth.ts";
import { route } from "../route.ts";
import { adminApiKeyBody, adminApiKeyView, balanceView, catalogEntryView, creditsBody, modelBody } from "../schemas/admin.ts";

const tag = "operator";

export const adminCreateApiKeyRoute = route({
  id: "adminCreateApiKey",
  method: "POST",
  path: "/admin/api-keys",
  summary: "Creates an API key for a user or an organization; its plaintext is in this answer only.",
  tag,
  auth: operator,
  body: adminApiKeyBody,
  answer: { status: 201, schema: adminApiKeyView },
  errors: [400, 404],
  async handler({ c, body }) {
    const { owner, name } = await body();
    try {
      const key = await createApiKey(c.db, { owner, ...(name !== undefined ? { name } : {}) });
      // The only time the plaintext key is ever shown.
      return { id: key.id, key: key.key, prefix: key.prefix, name: key.name, created_at: key.createdAt.toISOString() };
    } catch (err) {
      if (sqlState(err) === FOREIGN_KEY_VIOLATION) throw new GatewayError(404, "owner_not_found", `No ${owner.type} "${owner.id}".`);
      throw err;
    }
  },
});

export const addCreditsRoute = route({
  id: "addCredits",
  method: "POST",
  path: "/admin/credits",
  summary: "Adds (or, negative, takes away) credit; answers the new balance.",
  tag,
  auth: operator,
  body: creditsBody,
  answer: { status: 200, schema: balanceView },
  errors: [400, 404],
  async handler({ c, body }) {
    const { owner, amount_microdollars } = await body();
    const balance = await addCredit(c.db, owner, amount_microdollars);
    if (balance === undefined) throw new GatewayError(404, "owner_not_found", `No ${owner.type} "${owner.id}".`);
    // The cached balance of this isolate would refuse the owner until it expired.
    c.events.emit("ownerChanged", owner);
    return { owner, balance_microdollars: balance };
  },
});

export const upsertModelRoute = route({
  id: "upsertModel",
  method: "POST",
  path: "/admin/models",
  summary: "Adds or changes a catalog entry (prices in microdollars per token).",
  tag,
  auth: operator,
  body: modelBody,
  answer: { status: 200, schema: catalogEntryView },
  errors: [400],
  async handler({ c, body }) {
    const m = await body();
    // An upsert keeps stored fields the body omits, so the rule is checked on the merged entry:
    // half a price would bill one side of every request at zero.
    const stored = await getModel(c.db, m.id);
    const input = m.input_price ?? stored?.inputPrice ?? null;
    const output = m.output_price ?? stored?.outputPrice ?? null;
    if (!(m.free ?? stored?.free ?? false) && (input === null) !== (output === null)) {
      const missing = input === null ? "input_price" : "output_price";
      throw new GatewayError(400, "invalid_body", `${missing}: a paid model needs both input_price and output_price (or free: true)`, missing);
    }
    const saved = await upsertModel(c.db, {
      id: m.id,
      provider: m.provider,
      upstreamModel: m.upstream_model ?? m.id.slice(m.provider.length + 1),
      ...(m.context_length !== undefined ? { contextLength: m.context_length } : {}),
      ...(m.input_price !== undefined ? { inputPrice: m.input_price } : {}),
      ...(m.output_price !== undefined ? { outputPrice: m.output_price } : {}),
      ...(m.free !== undefined ? { free: m.free } : {}),
      ...(m.enabled !== undefined ? { enabled: m.enabled } : {}),
    });
    c.events.emit("catalogChanged", undefined);
    return modelView(saved);
  },
});
