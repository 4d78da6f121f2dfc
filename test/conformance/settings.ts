// The secrets and limits the conformance gateway is started with: one place, so that the cases
// can check what they expect (and that no credential comes back) and other suites can reuse them.
export const UPSTREAM_KEY = "sk-upstream-test";
export const MAX_BODY = 64 * 1024;

export const ADMIN_TOKEN = "admin-token-for-conformance-0123456789";
export const JWT_SECRET = "jwt-secret-for-conformance-0123456789abcdef";
export const ENCRYPTION_KEYS = "c1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/** The operator-declared providers' own keys (GATEWAY_PROVIDERS). */
export const ACME_KEY = "sk-acme";
export const DEAD_KEY = "sk-dead";

/** Every upstream timeout of the run, short so that the timeout cases stay quick. */
export const FIRST_BYTE_TIMEOUT_MS = 700;
export const TOTAL_TIMEOUT_MS = 2500;
