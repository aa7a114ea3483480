import { sql } from 'drizzle-orm';
import { createServer, type Socket } from 'node:net';
import pg from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parsePostgresUrl } from '../../src/db/database-url.js';
import { LedgerSchemaError, LedgerTooNewError, LedgerUnavailableError } from '../../src/db/errors.js';
import { PgSagaLedger } from '../../src/db/pg-ledger.js';
import { postgresMigrations } from '../../src/db/pg-open.js';
import { exitCodeForError } from '../../src/cli/exit-codes.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';

const KNOWN = postgresMigrations().length;

async function open(database: TestDatabase, timeouts = {}): Promise<PgSagaLedger> {
  const ledger = await PgSagaLedger.open(database.target(timeouts));
  onTestFinished(async () => {
    if (!ledger.pool.ended) await ledger.close();
  });
  return ledger;
}

async function raw<T extends pg.QueryResultRow>(database: TestDatabase, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

async function failure(work: () => Promise<unknown>): Promise<Error> {
  try {
    await work();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

/** A TCP server that accepts connections and never says a word: a hung database. */
async function silentServer(): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as { port: number }).port;
}

describe('opening a PostgreSQL ledger', () => {
  it('migrates a fresh database once when several hosts open it at the same moment', async () => {
    const database = await createTestDatabase();
    const ledgers = await Promise.all(Array.from({ length: 6 }, () => open(database)));
    expect(ledgers.map((l) => l.schemaVersion)).toEqual(Array(6).fill(KNOWN));
    const applied = await raw<{ hash: string }>(database, 'SELECT hash FROM __drizzle_migrations ORDER BY id');
    expect(applied.map((r) => r.hash)).toEqual(postgresMigrations().map((m) => m.hash));
    const tables = await raw<{ name: string }>(
      database,
      `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`,
    );
    expect(tables.map((t) => t.name)).toEqual([
      '__drizzle_migrations',
      'batch_holds',
      'reconcile_reports',
      'saga_events',
      'saga_runs',
      'saga_step_results',
    ]);
  });

  it('refuses a database written by a newer arcadia (exit 4), leaving it untouched', async () => {
    const database = await createTestDatabase();
    await (await open(database)).close();
    await raw(database, `INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('from-the-future', 1)`);
    const error = await failure(() => open(database));
    expect(error).toBeInstanceOf(LedgerTooNewError);
    expect(error).toMatchObject({ ledgerMigrations: KNOWN + 1, knownMigrations: KNOWN });
    expect(exitCodeForError(error)).toBe(4);
    expect(error.message).toContain(`127.0.0.1:${new URL(database.url).port}/${database.name}`);
    expect(await raw(database, 'SELECT count(*)::int AS n FROM __drizzle_migrations')).toEqual([{ n: KNOWN + 1 }]);
  });

  it("refuses arcadia's tables without a migrations record instead of migrating over them", async () => {
    const database = await createTestDatabase();
    await (await open(database)).close();
    await raw(database, 'DROP TABLE __drizzle_migrations');
    expect(await failure(() => open(database))).toBeInstanceOf(LedgerSchemaError);
  });

  it('names the database, not its password, when the server refuses the connection', async () => {
    const database = await createTestDatabase();
    const url = new URL(database.url);
    url.port = '1'; // privileged and unused on a test machine: refused at once
    const target = parsePostgresUrl(url.toString(), { connectTimeoutMs: 2_000, queryTimeoutMs: 2_000 });
    const error = await failure(() => PgSagaLedger.open(target));
    expect(error).toBeInstanceOf(LedgerUnavailableError);
    expect(exitCodeForError(error)).toBe(4);
    expect(error.message).toContain(`cannot use the ledger at 127.0.0.1:1/${database.name}: ECONNREFUSED`);
    expect(error.message).not.toContain(database.password);
  });

  it('gives up on a server that never answers after the connect timeout', async () => {
    const database = await createTestDatabase();
    const url = new URL(database.url);
    url.port = String(await silentServer());
    const target = parsePostgresUrl(url.toString(), { connectTimeoutMs: 200, queryTimeoutMs: 200 });
    const error = await failure(() => PgSagaLedger.open(target));
    expect(error).toBeInstanceOf(LedgerUnavailableError);
    expect(error.message).toContain(target.location);
    expect(error.message).not.toContain(database.password);
  });

  it('reports a wrong password as unavailable, without either password', async () => {
    const database = await createTestDatabase();
    const url = new URL(database.url);
    url.password = 'wrong-secret-42';
    const error = await failure(() =>
      PgSagaLedger.open(parsePostgresUrl(url.toString(), { connectTimeoutMs: 2_000, queryTimeoutMs: 2_000 })),
    );
    expect(error).toBeInstanceOf(LedgerUnavailableError);
    expect(error.message).toMatch(/password authentication failed/);
    expect(error.message).not.toContain('wrong-secret-42');
    expect(error.message).not.toContain(database.password);
  });

  it('turns a connection cut mid-statement, or a statement past its timeout, into unavailable', async () => {
    const database = await createTestDatabase();
    const ledger = await open(database, { queryTimeoutMs: 5_000 });
    const sleeping = failure(() => ledger.transaction((tx) => tx.execute(sql`SELECT pg_sleep(30)`)));
    // Cut it from the server's side once it runs.
    for (let cut = 0; cut === 0;) {
      const rows = await raw<{ n: number }>(
        database,
        `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()`,
      );
      cut = rows[0]?.n ?? 0;
    }
    const cutError = await sleeping;
    expect(cutError).toBeInstanceOf(LedgerUnavailableError);
    expect(cutError.message).not.toContain(database.password);
    // The pool replaces the lost connection: the ledger works again.
    expect(await ledger.listSagas({})).toEqual([]);

    const impatient = await open(database, { queryTimeoutMs: 150 });
    const timedOut = await failure(() => impatient.transaction((tx) => tx.execute(sql`SELECT pg_sleep(5)`)));
    expect(timedOut).toBeInstanceOf(LedgerUnavailableError);
    expect(timedOut.message).toContain(impatient.location);
  });
});
