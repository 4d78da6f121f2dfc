// `npm run secrets:reencrypt`: after adding a key to GATEWAY_ENCRYPTION_KEYS (newest last) and
// deploying it, re-seals every stored secret still sealed with an older key. Safe while the
// gateway serves; when it reports 0 failures, the older keys can be dropped from the ring.
// Uses the same DATABASE_URL / NEON_FETCH_ENDPOINT as `npm run db:migrate`. Prints counts only.
import { neonConfig } from "@neondatabase/serverless";
import { openNodeDb } from "../adapters/node/storage.ts";
import { parseConfig } from "../src/config/schema.ts";
import { describeError } from "../src/http/describe-error.ts";
import { reencryptAll } from "../src/credentials/reencrypt.ts";
import { createSecretBox } from "../src/credentials/index.ts";

async function main(): Promise<number> {
  const config = parseConfig(process.env);
  const ring = config.GATEWAY_ENCRYPTION_KEYS;
  if (!ring) {
    console.error("GATEWAY_ENCRYPTION_KEYS is not set: nothing to re-encrypt with.");
    return 1;
  }
  if (config.NEON_FETCH_ENDPOINT) neonConfig.fetchEndpoint = config.NEON_FETCH_ENDPOINT;
  const { db, kind, close } = await openNodeDb({ DATABASE_URL: config.DATABASE_URL, NEON_FETCH_ENDPOINT: config.NEON_FETCH_ENDPOINT });
  try {
    const r = await reencryptAll(db, createSecretBox(ring));
    console.log(
      `${kind} database: re-sealed under key "${ring.current}": ${r.upstreamKeys} upstream key(s), ` +
        `${r.upstreamHeaders} upstream header set(s), ${r.byokKeys} BYOK key(s); ${r.failures.length} failure(s)`,
    );
    for (const failure of r.failures) console.error(`could not re-seal ${failure}`);
    return r.failures.length === 0 ? 0 : 2;
  } finally {
    await close();
  }
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    // describeError withholds query parameters (ciphertexts) from the message.
    console.error(`re-encryption failed: ${describeError(err)}`);
    process.exitCode = 1;
  },
);
