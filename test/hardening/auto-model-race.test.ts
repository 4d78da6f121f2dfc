// The race the auto model's save-time check must not lose, on PostgreSQL through the gateway: a
// BYOK key deleted while an auto model that uses it is being saved. The check's facts are asserted
// again inside the settings UPDATE (rows locked FOR SHARE), so the save either sees the delete
// (400, nothing saved) or the delete waits for the save (200, and the key goes afterwards).
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migratePostgres } from "../../adapters/node/storage.ts";
import { requester, seedOwners, type Requester } from "../support/owner-world.ts";
import { startNode, type NodeGateway } from "../support/runtimes/node.ts";
import { freshDatabase, serviceAvailable } from "../support/services.ts";

const ADMIN = "auto-model-race-admin-token-0123456789";
const RING = `k1:${Buffer.alloc(32, 5).toString("base64")}`;
const pgUp = await serviceAvailable("postgres");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Answer {
  status: number;
  body: { error?: { code: string; param: string | null; message: string }; auto_model?: unknown; data?: unknown[] };
}
const answer = async (res: Response): Promise<Answer> => {
  const text = await res.text();
  return { status: res.status, body: text === "" ? {} : JSON.parse(text) };
};

const AUTO = { auto_model: { enabled: true, fallback_model: "groq/llama", routes: { code: "groq/llama" } } };

describe.skipIf(!pgUp)("auto model save racing a BYOK key delete (PostgreSQL)", () => {
  let url = "";
  let gw: NodeGateway;
  let req: Requester;
  let sql: pg.Client;
  const keys: Record<string, string> = {};
  const put = () => req("/v1/orgs/acme/settings", { as: "alice", method: "PUT", body: AUTO }).then(answer);
  const stored = () => req("/v1/orgs/acme/settings", { as: "alice" }).then(answer);
  const saveKey = async () => expect((await req("/v1/byok-keys/groq", { as: "alice", method: "PUT", body: { api_key: "sk-acme-groq", owner: { type: "org", id: "acme" } } })).status).toBe(200);
  const reset = async () => expect((await req("/v1/orgs/acme/settings", { as: "alice", method: "PUT", body: {} })).status).toBe(200);

  /** Whether a backend of the test database is waiting on a lock in the settings UPDATE. */
  async function updateWaitsOnLock(): Promise<boolean> {
    const { rows } = await sql.query<{ n: string }>(
      `select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query ilike 'update "organizations"%'`,
    );
    return Number(rows[0]?.n ?? 0) > 0;
  }

  beforeAll(async () => {
    url = await freshDatabase("edgegate_auto_model_race");
    const pool = new pg.Pool({ connectionString: url });
    await migratePostgres(pool);
    await pool.end();
    gw = await startNode({ GATEWAY_ADMIN_TOKEN: ADMIN, GATEWAY_ENCRYPTION_KEYS: RING, DATABASE_URL: url });
    req = requester(gw.url, ADMIN, keys);
    await seedOwners(req, keys);
    expect((await req("/admin/orgs/acme", { method: "PATCH", body: { plan: "enterprise" } })).status).toBe(200);
    sql = new pg.Client({ connectionString: url });
    await sql.connect();
  }, 60_000);
  afterAll(async () => {
    await sql?.end();
    await gw?.close();
  });

  it("waits for an uncommitted delete of the key, then refuses and saves nothing", async () => {
    await reset();
    await saveKey();
    await sql.query("begin");
    const deleted = await sql.query("delete from byok_keys where owner_org_id = $1 and provider = $2", ["acme", "groq"]);
    expect(deleted.rowCount).toBe(1);
    let settled = false;
    const pending = put().finally(() => (settled = true));
    await sleep(300);
    expect(settled).toBe(false);
    expect(await updateWaitsOnLock()).toBe(true);
    await sql.query("commit");
    const refused = await pending;
    expect(refused.status, JSON.stringify(refused.body)).toBe(400);
    expect(refused.body.error).toMatchObject({ code: "invalid_auto_model", param: "auto_model.fallback_model" });
    expect(refused.body.error?.message).toMatch(/own groq key, which was deleted while these settings were being saved/);
    expect((await stored()).body).toEqual({});
  });

  it("saves once a delete that was waited for is rolled back", async () => {
    await reset();
    await saveKey();
    await sql.query("begin");
    const deleted = await sql.query("delete from byok_keys where owner_org_id = $1 and provider = $2", ["acme", "groq"]);
    expect(deleted.rowCount).toBe(1);
    const pending = put();
    await sleep(300);
    expect(await updateWaitsOnLock()).toBe(true);
    await sql.query("rollback");
    const saved = await pending;
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect((await stored()).body.auto_model).toEqual({ ...AUTO.auto_model, byok_providers: ["groq"] });
  });

  it("ends consistent when the key is deleted through the API while the save runs", async () => {
    for (let round = 0; round < 12; round++) {
      await reset();
      await saveKey();
      const saving = put();
      await sleep(round % 4);
      const deleting = req("/v1/byok-keys/groq", { as: "alice", org: "acme", method: "DELETE" });
      const [saved, deleted] = await Promise.all([saving, deleting]);
      expect(deleted.status).toBe(204);
      const after = (await stored()).body;
      const left = (await req("/v1/byok-keys", { as: "alice", org: "acme" }).then(answer)).body.data;
      expect(left).toEqual([]);
      if (saved.status === 200) {
        // Saved while the key existed; the delete waited for it and came after.
        expect(after.auto_model).toEqual({ ...AUTO.auto_model, byok_providers: ["groq"] });
      } else {
        expect(saved.status, JSON.stringify(saved.body)).toBe(400);
        expect(saved.body.error?.code).toBe("invalid_auto_model");
        expect(after).toEqual({});
      }
    }
  });
});
