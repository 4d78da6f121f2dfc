// Where the Neon stand-in runs SQL: the machine's PostgreSQL (one pool per database named in the
// Neon-Connection-String) or a PGlite instance. Both return Postgres text output untouched, as
// Neon's server does with Neon-Raw-Text-Output: the client parses by type OID itself.
import type { PGlite, Transaction } from "@electric-sql/pglite";
import pg from "pg";

export interface Field {
  name: string;
  dataTypeID: number;
  tableID: number;
  columnID: number;
  dataTypeSize: number;
  dataTypeModifier: number;
  format: "text";
}

export interface Result {
  fields: Field[];
  rows: (string | null)[][];
  command: string;
  rowCount: number | null;
}

export interface Statement {
  query: string;
  params: (string | null)[];
}

export interface BatchOptions {
  isolationLevel?: string;
  readOnly?: boolean;
  deferrable?: boolean;
}

export interface Backend {
  run(database: string, statement: Statement): Promise<Result>;
  /** All statements in one transaction; any error rolls back the lot. */
  batch(database: string, statements: Statement[], opts: BatchOptions): Promise<Result[]>;
  close(): Promise<void>;
}

export type BackendSpec = { kind: "postgres"; url: string } | { kind: "pglite"; db: PGlite };

const ISOLATION: Record<string, string> = {
  ReadUncommitted: "READ UNCOMMITTED",
  ReadCommitted: "READ COMMITTED",
  RepeatableRead: "REPEATABLE READ",
  Serializable: "SERIALIZABLE",
};

/** BEGIN with the batch's options, validated against Neon's accepted values. */
export function beginStatement(opts: BatchOptions): string {
  const parts = ["BEGIN"];
  if (opts.isolationLevel !== undefined) {
    const level = ISOLATION[opts.isolationLevel];
    if (!level) throw new BadRequest(`invalid Neon-Batch-Isolation-Level: ${opts.isolationLevel}`);
    parts.push(`ISOLATION LEVEL ${level}`);
  }
  if (opts.readOnly) parts.push("READ ONLY");
  if (opts.deferrable) parts.push("DEFERRABLE");
  return parts.join(" ");
}

export class BadRequest extends Error {}

const rawText = { getTypeParser: () => (value: string) => value };

/** The command tag's verb and count, as pg reports them (DDL has no count). */
function tagged(command: string | null, rowCount: number | null): Pick<Result, "command" | "rowCount"> {
  return { command: command ?? "", rowCount: rowCount ?? null };
}

function postgresBackend(base: string): Backend {
  const pools = new Map<string, pg.Pool>();
  const pool = (database: string) => {
    let p = pools.get(database);
    if (!p) {
      const url = new URL(base);
      url.pathname = `/${database}`;
      p = new pg.Pool({ connectionString: url.toString(), max: 4 });
      // An idle client's error (server restart) must not crash the test process.
      p.on("error", () => {});
      pools.set(database, p);
    }
    return p;
  };
  const exec = async (client: pg.PoolClient, s: Statement): Promise<Result> => {
    const r = await client.query<string[]>({ text: s.query, values: s.params, rowMode: "array", types: rawText });
    return {
      fields: r.fields.map((f) => ({
        name: f.name,
        dataTypeID: f.dataTypeID,
        tableID: f.tableID,
        columnID: f.columnID,
        dataTypeSize: f.dataTypeSize,
        dataTypeModifier: f.dataTypeModifier,
        format: "text",
      })),
      rows: r.rows,
      ...tagged(r.command, r.rowCount),
    };
  };
  return {
    async run(database, s) {
      const client = await pool(database).connect();
      let leftOpen = false;
      try {
        const result = await exec(client, s);
        // Neon discards a connection that a lone BEGIN left inside a transaction; so do we.
        leftOpen = result.command === "BEGIN" || result.command === "START";
        return result;
      } finally {
        client.release(leftOpen);
      }
    },
    async batch(database, statements, opts) {
      const client = await pool(database).connect();
      try {
        await client.query(beginStatement(opts));
        const results: Result[] = [];
        for (const s of statements) results.push(await exec(client, s));
        await client.query("COMMIT");
        return results;
      } catch (err) {
        await client.query("ROLLBACK").catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    async close() {
      await Promise.all([...pools.values()].map((p) => p.end()));
    },
  };
}

// PGlite parses every type it knows; identity parsers for every built-in OID give the text back.
const identity = (value: string) => value;
const rawParsers: Record<number, (value: string) => string> = {};
for (let oid = 0; oid < 16384; oid++) rawParsers[oid] = identity;
// Params arrive as text already (the Neon client serialises them); pass them through untouched.
const rawSerializers: Record<number, (value: unknown) => string> = {};
for (let oid = 0; oid < 16384; oid++) rawSerializers[oid] = (value) => String(value);

function pgliteBackend(db: PGlite): Backend {
  const exec = async (q: PGlite | Transaction, s: Statement): Promise<Result> => {
    const r = await q.query<(string | null)[]>(s.query, s.params, {
      rowMode: "array",
      parsers: rawParsers,
      serializers: rawSerializers,
    });
    const command = s.query.trim().split(/\s+/, 1)[0]?.toUpperCase() ?? "";
    const rowCount = r.affectedRows ?? r.rows.length;
    return {
      fields: r.fields.map((f) => ({
        name: f.name,
        dataTypeID: f.dataTypeID,
        tableID: 0,
        columnID: 0,
        dataTypeSize: -1,
        dataTypeModifier: -1,
        format: "text",
      })),
      rows: r.rows,
      command,
      rowCount: command === "SELECT" ? r.rows.length : rowCount,
    };
  };
  return {
    run: (_database, s) => exec(db, s),
    async batch(_database, statements, opts) {
      // PGlite runs one connection; its transaction() serialises with other queries.
      return db.transaction(async (tx) => {
        if (opts.isolationLevel !== undefined || opts.readOnly) await tx.query(beginStatement(opts).replace(/^BEGIN/, "SET TRANSACTION"));
        const results: Result[] = [];
        for (const s of statements) results.push(await exec(tx, s));
        return results;
      });
    },
    close: async () => {},
  };
}

export const openBackend = (spec: BackendSpec): Backend =>
  spec.kind === "postgres" ? postgresBackend(spec.url) : pgliteBackend(spec.db);
