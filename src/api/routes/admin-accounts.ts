import type { IRequest } from "itty-router";
import { createApiKey } from "../../store/repos/api-keys.ts";
import { modelView } from "../../catalog/model-view.ts";
import { getModel, upsertModel } from "../../store/repos/catalog.ts";
import { addCredit } from "../../store/repos/credit.ts";
import { GatewayError } from "../../http/errors.ts";
import { json } from "../../http/json.ts";
import { FOREIGN_KEY_VIOLATION, sqlState } from "../../store/pg-error.ts";
import { readJson } from "../../http/read-json.ts";
import type { Services } from "../../services.ts";
import { adminApiKeyBody, creditsBody, modelBody } from "../schemas/admin.ts";

export const accountRoutes = (svc: Services) => ({
  async createApiKey(request: IRequest) {
    const { owner, name } = await readJson(request, adminApiKeyBody);
    try {
      const key = await createApiKey(svc.db, { owner, ...(name !== undefined ? { name } : {}) });
      // The only time the plaintext key is ever shown.
      return json({ id: key.id, key: key.key, prefix: key.prefix, name: key.name, created_at: key.createdAt }, 201);
    } catch (err) {
      if (sqlState(err) === FOREIGN_KEY_VIOLATION) throw new GatewayError(404, "owner_not_found", `No ${owner.type} "${owner.id}".`);
      throw err;
    }
  },

  async addCredits(request: IRequest) {
    const { owner, amount_microdollars } = await readJson(request, creditsBody);
    const balance = await addCredit(svc.db, owner, amount_microdollars);
    if (balance === undefined) throw new GatewayError(404, "owner_not_found", `No ${owner.type} "${owner.id}".`);
    // The cached balance of this isolate would refuse the owner until it expired.
    svc.invalidateOwner(owner);
    return json({ owner, balance_microdollars: balance });
  },

  async upsertModel(request: IRequest) {
    const m = await readJson(request, modelBody);
    // An upsert keeps stored fields the body omits, so the rule is checked on the merged entry:
    // half a price would bill one side of every request at zero.
    const stored = await getModel(svc.db, m.id);
    const input = m.input_price ?? stored?.inputPrice ?? null;
    const output = m.output_price ?? stored?.outputPrice ?? null;
    if (!(m.free ?? stored?.free ?? false) && (input === null) !== (output === null)) {
      const missing = input === null ? "input_price" : "output_price";
      throw new GatewayError(400, "invalid_body", `${missing}: a paid model needs both input_price and output_price (or free: true)`, missing);
    }
    const saved = await upsertModel(svc.db, {
      id: m.id,
      provider: m.provider,
      upstreamModel: m.upstream_model ?? m.id.slice(m.provider.length + 1),
      ...(m.context_length !== undefined ? { contextLength: m.context_length } : {}),
      ...(m.input_price !== undefined ? { inputPrice: m.input_price } : {}),
      ...(m.output_price !== undefined ? { outputPrice: m.output_price } : {}),
      ...(m.free !== undefined ? { free: m.free } : {}),
      ...(m.enabled !== undefined ? { enabled: m.enabled } : {}),
    });
    svc.catalog.forget();
    return json(modelView(saved));
  },
});
