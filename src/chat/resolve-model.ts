import { GatewayError } from "../http/errors.ts";
import type { Provider } from "../providers/builtin.ts";

export interface ResolvedModel {
  provider: Provider;
  /** The id the upstream knows the model by. */
  upstreamModel: string;
}

/** `<provider>/<model>`: the provider is everything before the first slash. */
export function resolveModel(model: string, providers: ReadonlyMap<string, Provider>): ResolvedModel {
  const slash = model.indexOf("/");
  if (slash <= 0 || slash === model.length - 1) {
    throw new GatewayError(404, "model_not_found", `Model "${model}" does not exist. Use "<provider>/<model>"; see GET /v1/models.`, "model");
  }
  const providerId = model.slice(0, slash);
  const provider = providers.get(providerId);
  if (!provider) {
    throw new GatewayError(404, "model_not_found", `Provider "${providerId}" is not available on this gateway.`, "model");
  }
  return { provider, upstreamModel: model.slice(slash + 1) };
}
