// Key rotation: re-seals every stored secret that an older ring key sealed under the newest one.
// Runs while the gateway serves: old values keep opening (their key is still in the ring), and
// each update is a compare-and-swap on the old ciphertext, so a value the owner changed in the
// meantime is left as they wrote it (it is already sealed with the newest key).
import type { Db } from "../store/db.ts";
import { byokSecretsAfter, swapByokKey, swapUpstreamHeaders, swapUpstreamKey, upstreamSecretsAfter } from "../store/repos/secret-rotation.ts";
import { SecretDecryptError, type SecretBox } from "./box.ts";
import { byokAad } from "./byok-keys.ts";
import { upstreamApiKeyAad, upstreamHeadersAad } from "./upstreams.ts";

export interface ReencryptResult {
  /** Values re-sealed, per kind. */
  upstreamKeys: number;
  upstreamHeaders: number;
  byokKeys: number;
  /** Values that could not be opened ("table id column: reason"); never contains secret material. */
  failures: string[];
}

export interface ReencryptOptions {
  /** Rows read per query (default 200). */
  pageSize?: number;
}

type Outcome = "resealed" | "current" | "changed";

/**
 * Re-seals one value when an older key sealed it. `swap` writes the new ciphertext only where
 * the column still holds `sealed`, and says whether it did.
 */
async function reseal(box: SecretBox, sealed: string, aad: string, swap: (next: string) => Promise<boolean>): Promise<Outcome> {
  if (box.keyIdOf(sealed) === box.currentKeyId) return "current";
  const next = await box.encrypt(await box.decrypt(sealed, aad), aad);
  return (await swap(next)) ? "resealed" : "changed";
}

/** Pages through a table by id, so rows written during the run neither repeat nor stall it. */
async function eachPage<R extends { id: string }>(load: (after: string) => Promise<R[]>, visit: (row: R) => Promise<void>): Promise<void> {
  for (let after = ""; ; ) {
    const rows = await load(after);
    for (const row of rows) await visit(row);
    const last = rows[rows.length - 1];
    if (!last) return;
    after = last.id;
  }
}

export async function reencryptAll(db: Db, box: SecretBox, opts: ReencryptOptions = {}): Promise<ReencryptResult> {
  const pageSize = opts.pageSize ?? 200;
  const result: ReencryptResult = { upstreamKeys: 0, upstreamHeaders: 0, byokKeys: 0, failures: [] };
  const attempt = async (where: string, work: () => Promise<Outcome>): Promise<Outcome | undefined> => {
    try {
      return await work();
    } catch (err) {
      // Only an unopenable value is skipped (and reported); a database failure ends the run.
      if (!(err instanceof SecretDecryptError)) throw err;
      result.failures.push(`${where}: ${err.message}`);
      return undefined;
    }
  };

  await eachPage(
    (after) => upstreamSecretsAfter(db, after, pageSize),
    async (row) => {
      const key = await attempt(`custom_upstreams ${row.id} api_key_enc`, () =>
        reseal(box, row.apiKeyEnc, upstreamApiKeyAad(row.owner, row.id), (next) => swapUpstreamKey(db, row.id, row.apiKeyEnc, next)),
      );
      if (key === "resealed") result.upstreamKeys++;
      const headersEnc = row.extraHeadersEnc;
      if (headersEnc === null) return;
      const headers = await attempt(`custom_upstreams ${row.id} extra_headers_enc`, () =>
        reseal(box, headersEnc, upstreamHeadersAad(row.owner, row.id), (next) => swapUpstreamHeaders(db, row.id, headersEnc, next)),
      );
      if (headers === "resealed") result.upstreamHeaders++;
    },
  );

  await eachPage(
    (after) => byokSecretsAfter(db, after, pageSize),
    async (row) => {
      const outcome = await attempt(`byok_keys ${row.id} key_enc`, () =>
        reseal(box, row.keyEnc, byokAad(row.owner, row.id, row.provider), (next) => swapByokKey(db, row.id, row.keyEnc, next)),
      );
      if (outcome === "resealed") result.byokKeys++;
    },
  );
  return result;
}
