// Opening the sealed credentials the chat pipeline uses. The associated data must match what
// the self-service routes sealed with: owner + purpose + row id.
import { z } from "zod";
import { secretAad, type SecretBox } from "../secrets/index.ts";
import type { Openers } from "./owner-routes.ts";

const headersSchema = z.record(z.string(), z.string());

export const credentialOpeners: Openers = {
  async upstream(box, row) {
    const apiKey = await box.decrypt(row.apiKeyEnc, secretAad(row.owner, `custom_upstream:${row.id}:api_key`));
    const extraHeaders = row.extraHeadersEnc
      ? headersSchema.parse(JSON.parse(await box.decrypt(row.extraHeadersEnc, secretAad(row.owner, `custom_upstream:${row.id}:extra_headers`))))
      : {};
    return { apiKey, extraHeaders };
  },
  byok: (box: SecretBox, row) => box.decrypt(row.keyEnc, secretAad(row.owner, `byok_key:${row.id}`)),
};
