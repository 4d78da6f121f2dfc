// A small typed event channel: writes announce what changed, and each cache that holds a copy
// subscribes to what concerns it, rather than being cleared by hand from every route that writes.
// Listeners run synchronously; one that returns a promise (background work) hands it back to the
// emitter, which keeps the isolate alive for it (waitUntil).
import type { Logger } from "../domain/runtime.ts";

type Listener<T> = (payload: T) => void | Promise<unknown>;

export class EventChannel<Events extends object> {
  readonly #listeners: { [K in keyof Events]?: Listener<Events[K]>[] } = {};
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  on<K extends keyof Events>(name: K, listener: Listener<Events[K]>): void {
    (this.#listeners[name] ??= []).push(listener);
  }

  /**
   * Tells every listener. Resolves to nothing; returns the background work listeners started, if
   * any (a listener that throws is logged, never the emitter's problem).
   */
  emit<K extends keyof Events>(name: K, payload: Events[K]): Promise<unknown> | undefined {
    const list = this.#listeners[name];
    if (list === undefined) return undefined;
    let work: Promise<unknown>[] | undefined;
    for (const listener of list) {
      try {
        const p = listener(payload);
        if (p) (work ??= []).push(p);
      } catch (err) {
        this.#logger.error("event listener failed", { event: String(name), error: err instanceof Error ? err.message : String(err) });
      }
    }
    if (work === undefined) return undefined;
    return work.length === 1 ? work[0] : Promise.all(work);
  }
}
