import type { Logger, WaitUntil } from "../domain/runtime.ts";
import { describeError } from "../http/describe-error.ts";
import type { Db } from "../store/db.ts";
import { touchApiKey } from "../store/repos/api-keys.ts";

const TOUCH_EVERY_MS = 60_000;

/** Records that a key was used (last_used_at), at most once a minute per key, in the background. */
export class KeyUse {
  readonly #touched = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  touch(id: string, waitUntil: WaitUntil): void {
    const at = this.now();
    if ((this.#touched.get(id) ?? -Infinity) > at - TOUCH_EVERY_MS) return;
    this.#touched.set(id, at);
    if (this.#touched.size > 10_000) this.#touched.clear();
    waitUntil(touchApiKey(this.db, id, new Date(at)).catch((err: unknown) => this.logger.warn("could not record key use", { error: describeError(err) })));
  }
}
