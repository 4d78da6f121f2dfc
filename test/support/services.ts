// Which local engines the integration suites can reach. Locally a missing service skips the
// suite with a hint; in CI (CI=true) it must fail instead, so a broken machine is never green.
import { connect } from "node:net";
import pg from "pg";

export const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

const HINTS = {
  postgres: "start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
  redis: 'start it with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
} as const;

function portOpen(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * Resolves true when the service answers. When it does not: throws under CI=true, otherwise
 * prints how to start it and resolves false (the caller skips its suite).
 */
export async function serviceAvailable(name: keyof typeof HINTS): Promise<boolean> {
  const url = new URL(name === "postgres" ? POSTGRES_URL : REDIS_URL);
  const ok = await portOpen(Number(url.port), url.hostname);
  if (ok) return true;
  const message = `${name} is not reachable at ${url.host}; ${HINTS[name]}`;
  if (process.env.CI === "true") throw new Error(`CI requires ${message}`);
  console.warn(`skipping ${name} suite: ${message}`);
  return false;
}

/** Drops and recreates database `name` on the test PostgreSQL; resolves to its URL. */
export async function freshDatabase(name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return url.toString();
}
