import type { ClientAbortHook } from "./context.ts";

/**
 * A one-shot stop: listeners subscribe through `hook` (a ClientAbortHook), and an AbortSignal is
 * built only if something asks for one. On Node 20 an AbortController per request is a
 * measurable cost, and most requests are never stopped nor asked for a signal.
 */
export class Stopper {
  #stopped = false;
  #listeners: (() => void)[] = [];
  #controller: AbortController | undefined;

  get stopped(): boolean {
    return this.#stopped;
  }

  /** `listener` runs once when stopped (at once if already stopped); the result unsubscribes. */
  readonly hook: ClientAbortHook = (listener) => {
    if (this.#stopped) {
      listener();
      return () => {};
    }
    this.#listeners.push(listener);
    return () => {
      const i = this.#listeners.indexOf(listener);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  };

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#stopped) this.#controller.abort();
    }
    return this.#controller.signal;
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const listener of this.#listeners.splice(0)) listener();
    this.#controller?.abort();
  }
}
