// For the edge-runtime test harness only: it runs a script driven by fetch events, the way the
// Vercel Edge runtime drives an Edge Function underneath. Production uses index.ts directly.
import handler from "./index.ts";

interface FetchEvent extends Event {
  readonly request: Request;
  respondWith(response: Promise<Response>): void;
  waitUntil(promise: Promise<unknown>): void;
}

declare function addEventListener(type: "fetch", listener: (event: FetchEvent) => void): void;

addEventListener("fetch", (event) => {
  event.respondWith(handler(event.request, { waitUntil: (p) => event.waitUntil(p) }));
});
