// A settings write racing the removal of the BYOK key it relies on, on real PostgreSQL (PGlite has
// one connection, so nothing there can interleave). The save (store/repos/org-settings-save.ts)
// asserts the key again inside its one UPDATE, locking the key's row FOR SHARE; so a DELETE
// either commits first (the save then waits on the row lock and refuses, naming the key) or waits
// until the settings are committed. Interleavings are forced by holding one side's transaction
// open and watching pg_stat_activity until the other side waits on a lock.
//
// What that promises: no save ever succeeds on a key deleted before it was written. It does not
// stop a later DELETE (DELETE /v1/byok-keys does not read the settings): then the settings name a
// key that is gone, and requests answer 503 without calling anyone (e2e/org-auto-model-runtime).
// A delete that does read the settings in its transaction sees every save that succeeded, which
// the loop checks: after each pair, the key exists or the settings do not reference it.
import { TransactionRollbackError } from "drizzle-orm";
import { drizzle as drizzleNodePg } from "drizzle-orm/node-postgres";
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { migratePostgres } from "../../../adapters/node/storage.ts";
import type { Db } from "../../../src/store/db.ts";
import { deleteByokKey, putByokKey } from "../../../src/store/repos/byok.ts";
import { factHolds, saveOrgSettingsIf, type SaveConditions, type SettingsFact } from "../../../src/store/repos/org-settings-save.ts";
import { getOrgSettings, putOrgSettings, updateOrg, type OrgSettings } from "../../../src/store/repos/orgs.ts";
import * as schema from "../../../src/store/schema/index.ts";
import { startMockLlm, type MockLlm } from "../../support/mock-llm/index.ts";
import { requester, seedOwners as seedOwnersOverHttp, type Requester } from "../../support/owner-world.ts";
import { acme, seedOwners } from "../../support/owners.ts";
import { startNode, type NodeGateway } from "../../support/runtimes/node.ts";
import { freshDatabase, POSTGRES_URL, serviceAvailable } from "../../support/services.ts";
import { openNeonOverPostgres, openPostgres, type OpenDb } from "./databases.ts";

const pgUp = await serviceAvailable("postgres");

const KEY: SettingsFact = { kind: "byok_key", provider: "openai" };
const WHEN: SaveConditions = { enterprise: true, facts: [KEY] };
/** Settings whose auto model is served on the organization's own openai key. */
const WITH_KEY: OrgSettings = { auto_model: { enabled: true, fallback_model: "openai/gpt-4o-mini", routes: { code: "openai/gpt-4o" }, byok_providers: ["openai"] } };
const BEFORE: OrgSettings = { data_collection: "deny" };
/** Pairs run at least, and until each side has come first this often (at most MAX_PAIRS). */
const PAIRS = 60;
const EACH_FIRST = 5;
const MAX_PAIRS = 400;

const references = (s: OrgSettings | undefined): boolean => s?.auto_model?.byok_providers?.includes("openai") ?? false;

function urlOf(database: string): string {
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${database}`;
  return url.href;
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A promise whose settling can be checked without waiting for it. */
function track<T>(promise: Promise<T>): { promise: Promise<T>; settled(): boolean } {
  let settled = false;
  const watched = promise.finally(() => (settled = true));
  // The caller awaits `promise`; this copy only records that it ended.
  watched.catch(() => {});
  return { promise, settled: () => settled };
}

/** Transactions still held open: a failed test rolls them back (afterEach), so the pools can close. */
const holding = new Set<() => Promise<void>>();
async function releaseAll(): Promise<void> {
  // The test has failed already if any is left; its own error is the one to report.
  for (const rollback of [...holding]) await rollback().catch(() => {});
}

/** Runs `work` in a transaction on `db` and keeps it open (its row locks held) until `end`. */
async function holdOpen<T>(db: Db, work: (tx: Db) => Promise<T>): Promise<{ result: T; end(how: "commit" | "rollback"): Promise<void> }> {
  const ran = deferred<T>();
  const gate = deferred<"commit" | "rollback">();
  const end = async (how: "commit" | "rollback") => {
    holding.delete(rollback);
    gate.resolve(how);
    await finished;
  };
  const rollback = () => end("rollback");
  holding.add(rollback);
  const finished = db
    .transaction(async (tx) => {
      ran.resolve(await work(tx));
      if ((await gate.promise) === "rollback") tx.rollback();
    })
    .catch((err: unknown) => {
      if (!(err instanceof TransactionRollbackError)) throw err;
    });
  finished.catch((err: unknown) => ran.reject(err));
  return { result: await ran.promise, end };
}

/** Resolves once a statement of `database` matching `statement` waits on a lock (the interleaving is then fixed). */
async function lockWait(monitor: pg.Client, database: string, statement: RegExp): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const { rows } = await monitor.query<{ query: string }>("select query from pg_stat_activity where datname = $1 and wait_event_type = 'Lock'", [database]);
    if (rows.some((r) => statement.test(r.query))) return;
    if (Date.now() > deadline) throw new Error(`no statement matching ${statement} waited on a lock; waiting: ${JSON.stringify(rows)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const SAVE_UPDATE = /^update "organizations"/i;
const KEY_DELETE = /^delete from "byok_keys"/i;

/** A delete that keeps the key while the settings name it: decided in its own transaction, after its row lock. */
async function deleteUnlessReferenced(db: Db): Promise<"deleted" | "kept"> {
  try {
    await db.transaction(async (tx) => {
      if (!(await deleteByokKey(tx, acme, "openai"))) throw new Error("the key to delete was not there");
      if (references(await getOrgSettings(tx, acme.id))) tx.rollback();
    });
    return "deleted";
  } catch (err) {
    if (err instanceof TransactionRollbackError) return "kept";
    throw err;
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The save (or, held first, the delete) goes through the driver under test; the other side is a
// node-postgres transaction held open on the same database.
const drivers: [string, string, (name: string) => Promise<OpenDb>][] = [
  ["node-postgres", "edgegate_settings_race_pg", openPostgres],
  ["neon-http", "edgegate_settings_race_neon", openNeonOverPostgres],
];

describe.each(drivers)("saving settings while their BYOK key is deleted, %s", (_driver, database, open) => {
  let t: OpenDb;
  let pool: pg.Pool;
  let holder: Db;
  let monitor: pg.Client;

  beforeAll(async () => {
    if (!pgUp) return;
    t = await open(database);
    pool = new pg.Pool({ connectionString: urlOf(database) });
    holder = drizzleNodePg({ client: pool, schema });
    monitor = new pg.Client({ connectionString: urlOf(database) });
    await monitor.connect();
    await seedOwners(holder);
    await updateOrg(holder, acme.id, { plan: "enterprise" });
  });
  afterAll(async () => {
    await monitor?.end();
    await pool?.end();
    await t?.close();
  });
  afterEach(releaseAll);
  beforeEach(async () => {
    if (!pgUp) return;
    await putByokKey(holder, acme, "openai", { id: `byok_${crypto.randomUUID()}`, keyEnc: "sealed", keyHint: "…1234" });
    await putOrgSettings(holder, acme.id, BEFORE);
  });

  it.skipIf(!pgUp)("a delete not yet committed makes the save wait; once it commits, the save refuses naming the key", async () => {
    const del = await holdOpen(holder, (tx) => deleteByokKey(tx, acme, "openai"));
    expect(del.result).toBe(true);
    const save = track(saveOrgSettingsIf(t.db, acme.id, WITH_KEY, WHEN));
    await lockWait(monitor, database, SAVE_UPDATE);
    expect(save.settled()).toBe(false);
    await del.end("commit");
    expect(await save.promise).toEqual({ saved: false, failed: { kind: "fact", fact: KEY } });
    expect(await getOrgSettings(holder, acme.id)).toEqual(BEFORE);
    expect(await factHolds(holder, acme.id, KEY)).toBe(false);
  });

  it.skipIf(!pgUp)("a delete rolled back lets the waiting save through", async () => {
    const del = await holdOpen(holder, (tx) => deleteByokKey(tx, acme, "openai"));
    const save = track(saveOrgSettingsIf(t.db, acme.id, WITH_KEY, WHEN));
    await lockWait(monitor, database, SAVE_UPDATE);
    expect(save.settled()).toBe(false);
    await del.end("rollback");
    expect(await save.promise).toEqual({ saved: true });
    expect(await getOrgSettings(holder, acme.id)).toEqual(WITH_KEY);
  });

  it.skipIf(!pgUp)("a key replaced meanwhile is still the organization's key: the waiting save goes through", async () => {
    const replace = await holdOpen(holder, (tx) => putByokKey(tx, acme, "openai", { id: "byok_replaced", keyEnc: "sealed-2", keyHint: "…5678" }));
    const save = track(saveOrgSettingsIf(t.db, acme.id, WITH_KEY, WHEN));
    await lockWait(monitor, database, SAVE_UPDATE);
    expect(save.settled()).toBe(false);
    await replace.end("commit");
    expect(await save.promise).toEqual({ saved: true });
    expect(await getOrgSettings(holder, acme.id)).toEqual(WITH_KEY);
  });

  it.skipIf(!pgUp)("a save not yet committed makes the delete wait until the settings are committed", async () => {
    const save = await holdOpen(holder, (tx) => saveOrgSettingsIf(tx, acme.id, WITH_KEY, WHEN));
    expect(save.result).toEqual({ saved: true });
    const del = track(deleteByokKey(t.db, acme, "openai"));
    await lockWait(monitor, database, KEY_DELETE);
    expect(del.settled()).toBe(false);
    await save.end("commit");
    // The delete then goes ahead (it does not read the settings): they name a key that is gone,
    // which requests answer with 503 and no upstream call. Only a save can be refused here.
    expect(await del.promise).toBe(true);
    expect(await getOrgSettings(holder, acme.id)).toEqual(WITH_KEY);
    expect(await factHolds(holder, acme.id, KEY)).toBe(false);
  });

  it.skipIf(!pgUp)(`${PAIRS} concurrent pairs: the key exists, or the settings do not reference it`, async () => {
    const seen = { saved: 0, refused: 0 };
    for (let i = 0; i < MAX_PAIRS && (i < PAIRS || seen.saved < EACH_FIRST || seen.refused < EACH_FIRST); i++) {
      if (i > 0) {
        await putByokKey(holder, acme, "openai", { id: `byok_pair_${i}`, keyEnc: "sealed", keyHint: "…1234" });
        await putOrgSettings(holder, acme.id, BEFORE);
      }
      // Staggered starts so that either side may take the key's row lock first.
      const [saved, deleted] = await Promise.all([
        pause(i % 3).then(() => saveOrgSettingsIf(t.db, acme.id, WITH_KEY, WHEN)),
        pause((i + 1) % 2).then(() => deleteUnlessReferenced(holder)),
      ]);
      const settings = await getOrgSettings(holder, acme.id);
      const keyExists = await factHolds(holder, acme.id, KEY);
      const state = JSON.stringify({ i, saved, deleted, settings, keyExists });
      expect(keyExists || !references(settings), state).toBe(true);
      // Each side saw the other exactly when it came second.
      if (saved.saved) {
        expect([deleted, keyExists, settings], state).toEqual(["kept", true, WITH_KEY]);
        seen.saved++;
      } else {
        expect([saved.failed, deleted, keyExists, settings], state).toEqual([{ kind: "fact", fact: KEY }, "deleted", false, BEFORE]);
        seen.refused++;
      }
    }
    // Both orders were exercised, not only one of them many times.
    expect(seen.saved, JSON.stringify(seen)).toBeGreaterThanOrEqual(EACH_FIRST);
    expect(seen.refused, JSON.stringify(seen)).toBeGreaterThanOrEqual(EACH_FIRST);
    console.info(`org-settings-race: ${seen.saved} saves first, ${seen.refused} deletes first`);
  });
});

// The same race through PUT /v1/orgs/{id}/settings and DELETE /v1/byok-keys/{provider} of a
// gateway on the database, each against a transaction held open on the other side.
describe.skipIf(!pgUp)("the race through the HTTP API", () => {
  const DATABASE = "edgegate_settings_race_http";
  const ADMIN = "settings-race-admin-token-0123456789ab";
  let mock: MockLlm;
  let gw: NodeGateway;
  let req: Requester;
  let pool: pg.Pool;
  let holder: Db;
  let monitor: pg.Client;
  const keys: Record<string, string> = {};
  const org = { type: "org", id: "acme" } as const;
  const autoModel = { enabled: true, fallback_model: "openai/gpt-4o-mini", routes: {} };
  const saveKey = () => req("/v1/byok-keys/openai", { as: "alice", org: "acme", method: "PUT", body: { api_key: "sk-acme-own-openai" } });
  const settings = async () => (await req("/v1/orgs/acme/settings", { as: "alice" })).json();

  beforeAll(async () => {
    mock = await startMockLlm();
    const url = await freshDatabase(DATABASE);
    pool = new pg.Pool({ connectionString: url });
    await migratePostgres(pool);
    holder = drizzleNodePg({ client: pool, schema });
    monitor = new pg.Client({ connectionString: url });
    await monitor.connect();
    gw = await startNode({
      DATABASE_URL: url,
      GATEWAY_ADMIN_TOKEN: ADMIN,
      GATEWAY_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 5).toString("base64")}`,
      GATEWAY_TRUSTED_UPSTREAM_HOSTS: "127.0.0.1",
      OPENAI_API_KEY: "sk-operator-openai",
      OPENAI_BASE_URL: mock.baseUrl,
    });
    req = requester(gw.url, ADMIN, keys);
    await seedOwnersOverHttp(req, keys);
    expect((await req("/admin/orgs/acme", { method: "PATCH", body: { plan: "enterprise" } })).status).toBe(200);
    expect((await req("/admin/models", { body: { id: "openai/gpt-4o-mini", provider: "openai", input_price: 1, output_price: 2 } })).status).toBe(200);
  }, 60_000);
  afterEach(releaseAll);
  afterAll(async () => {
    await gw?.close();
    await monitor?.end();
    await pool?.end();
    await mock?.close();
  });

  it("PUT settings waiting on a key being deleted answers 400 naming the key, and keeps the settings", async () => {
    expect((await saveKey()).status).toBe(200);
    expect((await req("/v1/orgs/acme/settings", { as: "alice", method: "PUT", body: BEFORE })).status).toBe(200);
    const del = await holdOpen(holder, (tx) => deleteByokKey(tx, org, "openai"));
    const put = track(req("/v1/orgs/acme/settings", { as: "alice", method: "PUT", body: { auto_model: autoModel } }));
    await lockWait(monitor, DATABASE, SAVE_UPDATE);
    expect(put.settled()).toBe(false);
    await del.end("commit");
    const res = await put.promise;
    const body = (await res.json()) as { error?: { code: string; param: string | null; message: string } };
    expect([res.status, body.error?.code, body.error?.param]).toEqual([400, "invalid_auto_model", "auto_model.fallback_model"]);
    expect(body.error?.message).toContain('"openai/gpt-4o-mini"');
    expect(body.error?.message).toContain("own openai key, which was deleted while these settings were being saved");
    expect(await settings()).toEqual(BEFORE);
  });

  it("DELETE of the key waiting on a save goes ahead after it; requests then answer 503 and call no one", async () => {
    expect((await saveKey()).status).toBe(200);
    const stored = { auto_model: { ...autoModel, byok_providers: ["openai"] } };
    const save = await holdOpen(holder, (tx) => saveOrgSettingsIf(tx, "acme", stored, WHEN));
    expect(save.result).toEqual({ saved: true });
    const del = track(req("/v1/byok-keys/openai", { as: "alice", org: "acme", method: "DELETE" }));
    await lockWait(monitor, DATABASE, KEY_DELETE);
    expect(del.settled()).toBe(false);
    await save.end("commit");
    expect((await del.promise).status).toBe(204);
    expect(await settings()).toEqual(stored);
    mock.reset();
    const chat = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${keys["acme-key"] ?? ""}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "auto/org", messages: [{ role: "user", content: "hi" }] }),
    });
    const answer = (await chat.json()) as { error?: { code: string; message: string } };
    expect([chat.status, answer.error?.code]).toEqual([503, "upstream_unavailable"]);
    expect(answer.error?.message).toMatch(/\bopenai\b/);
    expect(mock.requests).toEqual([]);
  });
});
