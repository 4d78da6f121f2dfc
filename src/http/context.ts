import type { WaitUntil } from "../deps.ts";

/** Per-request facts every route may need, passed alongside the Request through the router. */
export interface RequestContext {
  requestId: string;
  startedAt: number;
  waitUntil: WaitUntil;
}
