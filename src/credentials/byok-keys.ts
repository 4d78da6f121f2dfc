// Owners' own keys for built-in providers, sealed with AAD bound to owner + provider + row id.
import type { Owner } from "../domain/owner.ts";
import type { Db } from "../store/db.ts";
import { newId } from "../store/ids.ts";
import { putByokKey, type ByokRoute, type ByokSummary } from "../store/repos/byok.ts";
import { secretAad, type SecretBox } from "./box.ts";
import { secretHint } from "./hint.ts";

export const byokAad = (owner: Owner, id: string, provider: string) => secretAad(owner, `byok:${provider}:${id}`);

/** Seals and saves the owner's key for `provider`, replacing any earlier one. */
export async function saveByokKey(db: Db, box: SecretBox, owner: Owner, provider: string, apiKey: string): Promise<ByokSummary> {
  const id = newId("byok");
  return putByokKey(db, owner, provider, { id, keyEnc: await box.encrypt(apiKey, byokAad(owner, id, provider)), keyHint: secretHint(apiKey) });
}

/** Throws SecretDecryptError when the value was sealed for another row, owner or provider, or tampered with. */
export function openByokKey(box: SecretBox, row: ByokRoute): Promise<string> {
  return box.decrypt(row.keyEnc, byokAad(row.owner, row.id, row.provider));
}
