// Collects usage rows for a moment and writes them together (src/accounting/ledger-batch.ts).
// Each write() resolves once its row is recorded, so a platform's waitUntil keeps the isolate
// alive until then. Nothing is ever written twice: every attempt is idempotent on request id.
import type { Logger } from "../domain/runtime.ts";
import type { Db } from "../store/db.ts";
import { recordUsage, type UsageRow } from "../store/repos/ledger.ts";
import { describeError } from "../http/describe-error.ts";
import { recordUsageBatch } from "../store/repos/ledger-batch.ts";

export interface LedgerWriterOptions {
  /** Rows per statement at most (default 200). */
  maxRows?: number;
  /** How long the first row of a batch waits for company (default 50 ms). */
  maxDelayMs?: number;
  /** Pauses before each retry of a row that could not be written (default 0.2 s, 1 s, 3 s). */
  retryDelaysMs?: readonly number[];
  /** The batch statement; replaceable in tests to inject failures. */
  writeBatch?: (db: Db, rows: readonly UsageRow[]) => Promise<void>;
  /** The one-row statement used for retries; replaceable in tests. */
  writeOne?: (db: Db, row: UsageRow) => Promise<unknown>;
}

/** Rows waiting for one statement, and the one promise all their writers wait on. */
interface Batch {
  rows: UsageRow[];
  done: Promise<void>;
  resolve: () => void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function newBatch(): Batch {
  let resolve = () => {};
  const done = new Promise<void>((r) => (resolve = r));
  return { rows: [], done, resolve };
}

export class LedgerWriter {
  #batch: Batch | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #maxRows: number;
  readonly #maxDelayMs: number;
  readonly #retryDelaysMs: readonly number[];
  readonly #writeBatch: (db: Db, rows: readonly UsageRow[]) => Promise<void>;
  readonly #writeOne: (db: Db, row: UsageRow) => Promise<unknown>;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    opts: LedgerWriterOptions = {},
  ) {
    // Bigger batches cost less per row (on the embedded PGlite the gateway's own CPU pays for
    // every statement), and fewer of them delay fewer requests while they run.
    this.#maxRows = opts.maxRows ?? 200;
    this.#maxDelayMs = opts.maxDelayMs ?? 50;
    this.#retryDelaysMs = opts.retryDelaysMs ?? [200, 1000, 3000];
    this.#writeBatch = opts.writeBatch ?? recordUsageBatch;
    this.#writeOne = opts.writeOne ?? recordUsage;
  }

  /**
   * Resolves when the row's batch is recorded, or when its rows finally could not be (then
   * logged). Never rejects. Rows written together share one promise.
   */
  write(row: UsageRow): Promise<void> {
    const batch = (this.#batch ??= newBatch());
    batch.rows.push(row);
    if (batch.rows.length >= this.#maxRows) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), this.#maxDelayMs);
    return batch.done;
  }

  /** Writes what is queued now (also for shutdown and tests). */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#batch;
    if (batch === undefined) return;
    this.#batch = undefined;
    try {
      await this.#writeBatch(this.db, batch.rows);
    } catch (err) {
      // One bad row fails the whole statement; row by row, the others still go through.
      this.logger.warn("usage batch failed; recording its rows one by one", { rows: batch.rows.length, error: describeError(err) });
      await Promise.all(batch.rows.map((row) => this.#writeWithRetries(row)));
    }
    batch.resolve();
  }

  async #writeWithRetries(row: UsageRow): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#writeOne(this.db, row);
        return;
      } catch (err) {
        const delay = this.#retryDelaysMs[attempt];
        if (delay === undefined) {
          // The statement is atomic: nothing was charged without its row. Say enough to redo it by hand.
          const { requestId, owner, costMicrodollars, model } = row;
          this.logger.error("usage could not be recorded", { requestId, owner, costMicrodollars, model, error: describeError(err) });
          return;
        }
        await sleep(delay);
      }
    }
  }
}
