// Secrets at rest: key ring parsing and AES-256-GCM sealing.

export { parseKeyRing, ParsedKeyRing, type KeyRing } from "./keyring.ts";
export { createSecretBox, secretAad, SecretDecryptError, type SecretBox } from "./box.ts";
