// Every route the gateway serves, in one list: the router, the fast path and /openapi.json are
// built from it. A new endpoint is a new entry here (and its file under routes/).
import { addCreditsRoute, adminCreateApiKeyRoute, upsertModelRoute } from "./routes/admin-accounts.ts";
import { createOrgRoute, deleteMemberRoute, deleteOrgRoute, putMemberRoute, updateOrgRoute } from "./routes/admin-orgs.ts";
import { createUserRoute, deleteUserRoute, rotatePepperRoute } from "./routes/admin-users.ts";
import {
  adminCreateRouteRoute,
  adminDeleteRouteRoute,
  adminGetRouteRoute,
  adminListRoutesRoute,
  adminRouteHealthRoute,
  adminUpdateRouteRoute,
} from "./routes/admin-named-routes.ts";
import { createApiKeyRoute, listApiKeysRoute, revokeApiKeyRoute } from "./routes/api-keys.ts";
import { deleteByokKeyRoute, listByokKeysRoute, putByokKeyRoute } from "./routes/byok-keys.ts";
import { chatCompletions } from "./routes/chat.ts";
import { getModel, healthz, listModels, readyz } from "./routes/models.ts";
import { createRouteRoute, deleteRouteRoute, getRouteRoute, listRoutesRoute, updateRouteRoute } from "./routes/named-routes.ts";
import { getOrgSettingsRoute, putOrgSettingsRoute } from "./routes/org-settings.ts";
import { discoverUpstreamRoute, testUpstreamRoute } from "./routes/upstream-probes.ts";
import { createUpstreamRoute, deleteUpstreamRoute, getUpstreamRoute, listUpstreamsRoute, updateUpstreamRoute } from "./routes/upstreams.ts";
import { getUsage } from "./routes/usage.ts";
import type { Route } from "./route.ts";

export const ROUTES: readonly Route[] = [
  healthz,
  readyz,
  listModels,
  getModel,
  chatCompletions,
  getUsage,
  getOrgSettingsRoute,
  putOrgSettingsRoute,
  listApiKeysRoute,
  createApiKeyRoute,
  revokeApiKeyRoute,
  listUpstreamsRoute,
  createUpstreamRoute,
  getUpstreamRoute,
  updateUpstreamRoute,
  deleteUpstreamRoute,
  testUpstreamRoute,
  discoverUpstreamRoute,
  listRoutesRoute,
  createRouteRoute,
  getRouteRoute,
  updateRouteRoute,
  deleteRouteRoute,
  listByokKeysRoute,
  putByokKeyRoute,
  deleteByokKeyRoute,
  createUserRoute,
  deleteUserRoute,
  rotatePepperRoute,
  createOrgRoute,
  updateOrgRoute,
  deleteOrgRoute,
  putMemberRoute,
  deleteMemberRoute,
  adminCreateApiKeyRoute,
  addCreditsRoute,
  upsertModelRoute,
  adminListRoutesRoute,
  adminCreateRouteRoute,
  adminGetRouteRoute,
  adminUpdateRouteRoute,
  adminDeleteRouteRoute,
  adminRouteHealthRoute,
];
