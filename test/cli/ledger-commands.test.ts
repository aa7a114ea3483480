import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { parseJsonOutput, runArcadia, type ArcadiaResult } from '../helpers/arcadia.js';
import { withLedger } from '../helpers/ledger.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { tempHome } from '../helpers/temp-home.js';

interface SagaJson {
  id: string;
  status: string;
  steps: { idx: number; name: string; status: string; attempts: number }[];
  events: { at: string; step: string | null; from: string | null; to: string; detail: string | null }[];
  context: Record<string, unknown>;
}

interface InfoJson {
  backend: string;
  location: string;
  schemaVersion: number;
  knownSchemaVersion: number;
  sagas: { total: number; byStatus: Record<string, number> };
  steps: number;
  events: number;
  reconcileReports: number;
}

function assertNoSecret(result: ArcadiaResult, database: TestDatabase): void {
  for (const text of [result.stdout, result.stderr]) {
    expect(text).not.toContain(database.password);
    expect(text).not.toContain(encodeURIComponent(database.password));
  }
}

/** A home with three sagas run to their ends (succeeded, rolled back, and one left pending). */
async function homeWithSagas(): Promise<{ home: string; ids: string[] }> {
  const { home } = tempHome();
  const ids: string[] = [];
  for (const args of [
    ['--step', 'noop', '--step', 'noop', '--input', 'note=first'],
    ['--step', 'noop', '--step', 'fail'],
    ['--step', 'noop', '--detach'],
  ]) {
    const result = await runArcadia(['saga', 'start', '--kind', 'test', ...args, '--json'], { home });
    ids.push(parseJsonOutput<{ id: string }>(result).id);
  }
  return { home, ids };
}

async function show(id: string, options: { home: string; env?: NodeJS.ProcessEnv }): Promise<SagaJson> {
  const result = await runArcadia(['saga', 'show', id, '--json'], options);
  expect(result.code, result.stderr).toBe(0);
  return parseJsonOutput<SagaJson>(result);
}

describe('arcadia ledger info', () => {
  it('tells the SQLite backend, its path, schema version and counts', async () => {
    const { home } = await homeWithSagas();
    const result = await runArcadia(['ledger', 'info', '--json'], { home });
    expect(result.code, result.stderr).toBe(0);
    const info = parseJsonOutput<InfoJson>(result);
    expect(info).toMatchObject({
      backend: 'sqlite',
      location: `${home}/arcadia.db`,
      sagas: { total: 3, byStatus: { pending: 1, rolled_back: 1, succeeded: 1 } },
      steps: 5,
    });
    expect(info.schemaVersion).toBe(info.knownSchemaVersion);
    expect(info.events).toBeGreaterThan(10);
    const human = await runArcadia(['ledger', 'info'], { home });
    expect(human.stdout).toContain('backend:  SQLite');
    expect(human.stdout).toMatch(/sagas: {4}3 \(1 pending, 1 rolled_back, 1 succeeded\)/);
  });

  it('tells PostgreSQL as host:port/dbname, never the password', async () => {
    const database = await createTestDatabase();
    const { home } = tempHome();
    const env = { ARCADIA_DATABASE_URL: database.url };
    const result = await runArcadia(['ledger', 'info', '--json'], { home, env });
    expect(result.code, result.stderr).toBe(0);
    const url = new URL(database.url);
    expect(parseJsonOutput<InfoJson>(result)).toMatchObject({
      backend: 'postgres',
      location: `127.0.0.1:${url.port}/${database.name}`,
      sagas: { total: 0 },
    });
    assertNoSecret(result, database);
    assertNoSecret(await runArcadia(['ledger', 'info'], { home, env }), database);
  });

  it('refuses a bad URL as a usage error (exit 2) without repeating its password', async () => {
    const { home } = tempHome();
    const result = await runArcadia(['ledger', 'info'], {
      home,
      env: { ARCADIA_DATABASE_URL: 'postgres://ops:hunter2-secret@db.internal:notaport/x' },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/ARCADIA_DATABASE_URL is not a URL/);
    expect(result.stdout + result.stderr).not.toContain('hunter2-secret');
  });

  it('names the database and exits 4 when it cannot be reached, without the password', async () => {
    const database = await createTestDatabase();
    const url = new URL(database.url);
    url.port = '1';
    const { home } = tempHome();
    const result = await runArcadia(['ledger', 'info', '--json'], { home, env: { ARCADIA_DATABASE_URL: url.href } });
    expect(result.code).toBe(4);
    const error = parseJsonOutput<{ error: { code: string; message: string } }>(result).error;
    expect(error.code).toBe('ledger_unavailable');
    expect(error.message).toContain(`127.0.0.1:1/${database.name}`);
    assertNoSecret(result, database);
  });
});

describe('arcadia ledger copy', () => {
  it('copies every saga, step and event into an empty PostgreSQL ledger, which then lists the same', async () => {
    const { home, ids } = await homeWithSagas();
    const database = await createTestDatabase();
    const copy = await runArcadia(['ledger', 'copy', '--to', database.url, '--json'], { home });
    expect(copy.code, copy.stderr).toBe(0);
    const copied = parseJsonOutput<{ from: string; to: string; copied: { sagas: number; steps: number } }>(copy);
    expect(copied).toMatchObject({ from: `${home}/arcadia.db`, copied: { sagas: 3, steps: 5 } });
    assertNoSecret(copy, database);

    const env = { ARCADIA_DATABASE_URL: database.url };
    const fromSqlite = await runArcadia(['saga', 'list', '--json'], { home });
    const fromPostgres = await runArcadia(['saga', 'list', '--json'], { home, env });
    expect(fromPostgres.code, fromPostgres.stderr).toBe(0);
    expect(parseJsonOutput(fromPostgres)).toEqual(parseJsonOutput(fromSqlite));
    for (const id of ids) expect(await show(id, { home, env })).toEqual(await show(id, { home }));
    const info = parseJsonOutput<InfoJson>(await runArcadia(['ledger', 'info', '--json'], { home, env }));
    const sqliteInfo = parseJsonOutput<InfoJson>(await runArcadia(['ledger', 'info', '--json'], { home }));
    // Schema versions count each dialect's own migrations: only the counts compare.
    const counts = ({ sagas, steps, events, reconcileReports }: InfoJson) => ({
      sagas,
      steps,
      events,
      reconcileReports,
    });
    expect(counts(info)).toEqual(counts(sqliteInfo));

    // The copied ledger goes on: the pending saga resumes from PostgreSQL, new events follow the copied ones.
    const resumed = await runArcadia(['saga', 'resume', ids[2]!, '--json'], { home, env });
    expect(resumed.code, resumed.stderr).toBe(0);
    const after = await show(ids[2]!, { home, env });
    expect(after.status).toBe('succeeded');
    // And no row of any table holds the password.
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      for (const table of ['saga_runs', 'saga_step_results', 'saga_events', 'reconcile_reports']) {
        const rows = await client.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM ${table} t`);
        for (const { row } of rows.rows) expect(row).not.toContain(database.password);
      }
    } finally {
      await client.end();
    }
  });

  it('refuses a target that already holds sagas (exit 2), copying nothing', async () => {
    const { home } = await homeWithSagas();
    const database = await createTestDatabase();
    expect((await runArcadia(['ledger', 'copy', '--to', database.url], { home })).code).toBe(0);
    const again = await runArcadia(['ledger', 'copy', '--to', database.url], { home });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/is not empty \(3 sagas, \d+ events, 0 reconcile reports\).*nothing was copied/);
    assertNoSecret(again, database);
    const env = { ARCADIA_DATABASE_URL: database.url };
    const info = parseJsonOutput<InfoJson>(await runArcadia(['ledger', 'info', '--json'], { home, env }));
    expect(info.sagas.total).toBe(3);
  });

  it('says there is nothing to copy in a home without a ledger; refuses a --to not PostgreSQL', async () => {
    const { home } = tempHome();
    const database = await createTestDatabase();
    const empty = await runArcadia(['ledger', 'copy', '--to', database.url], { home });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/there is no SQLite ledger at .*arcadia\.db to copy/);
    const mysql = await runArcadia(['ledger', 'copy', '--to', 'mysql://u:s3cret-pw@h/d'], { home });
    expect(mysql.code).toBe(2);
    expect(mysql.stderr).toMatch(/--to must start with postgres:\/\//);
    expect(mysql.stderr).not.toContain('s3cret-pw');
  });
});

describe('arcadia ledger copy of a damaged ledger', () => {
  it('names the saga whose context is not JSON and copies nothing (exit 4)', async () => {
    const { home, ids } = await homeWithSagas();
    withLedger(home, ({ db }) => {
      db.prepare(`UPDATE saga_runs SET context = '{torn' WHERE id = ?`).run(ids[1]);
    });
    const database = await createTestDatabase();
    const copy = await runArcadia(['ledger', 'copy', '--to', database.url, '--json'], { home });
    expect(copy.code).toBe(4);
    const error = parseJsonOutput<{ error: { code: string; message: string } }>(copy).error;
    expect(error).toMatchObject({ code: 'ledger_row_unreadable' });
    expect(error.message).toContain(ids[1]);
    const env = { ARCADIA_DATABASE_URL: database.url };
    const info = parseJsonOutput<InfoJson>(await runArcadia(['ledger', 'info', '--json'], { home, env }));
    expect(info.sagas.total).toBe(0);
  });
});
