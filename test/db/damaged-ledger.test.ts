import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LedgerRowError, LedgerSchemaError } from '../../src/db/errors.js';
import { ledgerPath, openLedgerDatabase } from '../../src/db/open.js';
import { newSaga, withLedger } from '../helpers/ledger.js';
import { tempHome } from '../helpers/temp-home.js';
import { expectJsonError, inProcess } from '../security/util.js';

/** A ledger damaged behind arcadia's back is a clear ledger error (exit 4), and one bad row spoils only itself. */

function env(home: string): NodeJS.ProcessEnv {
  return { ARCADIA_HOME: home, HOME: home, NO_COLOR: '1', PATH: process.env.PATH ?? '/usr/bin:/bin' };
}

function seed(home: string, count: number): string[] {
  return withLedger(home, ({ core }) =>
    Array.from({ length: count }, (_, i) => core.createSaga(newSaga({ stepNames: ['noop'] }), 1_000 + i).id),
  );
}

function damage(home: string, statement: string, ...params: unknown[]): void {
  withLedger(home, ({ db }) => {
    db.prepare(statement).run(...params);
  });
}

describe('a ledger whose schema was damaged', () => {
  it('refuses one whose migrations table was dropped (exit 4), leaving its bytes alone', async () => {
    const { home } = tempHome();
    seed(home, 1);
    withLedger(home, ({ db }) => {
      db.exec('DROP TABLE __drizzle_migrations');
      db.pragma('wal_checkpoint(TRUNCATE)');
    });
    const before = readFileSync(ledgerPath(home));

    expect(() => openLedgerDatabase({ home, busyTimeoutMs: 1_000 })).toThrow(LedgerSchemaError);
    expect(readFileSync(ledgerPath(home)).equals(before)).toBe(true);

    const run = await inProcess(['saga', 'list', '--json'], env(home));
    expect(run.code).toBe(4);
    const error = expectJsonError(run, 'dropped migrations table');
    expect(error.code).toBe('ledger_schema_unknown');
    expect(error.message).toContain(ledgerPath(home));
    expect(error.message).toContain('__drizzle_migrations');
  });

  it('calls a table dropped behind its back a ledger schema error (exit 4), not an internal one', async () => {
    const { home } = tempHome();
    const [id] = seed(home, 1) as [string];
    damage(home, 'DROP TABLE saga_events');

    const show = await inProcess(['saga', 'show', id, '--json'], env(home));
    const start = await inProcess(['saga', 'start', '--kind', 'test', '--step', 'noop', '--json'], env(home));

    for (const [what, run] of [
      ['show', show],
      ['start', start],
    ] as const) {
      expect(run.code, what).toBe(4);
      const error = expectJsonError(run, what);
      expect(error.code, what).toBe('ledger_schema_unknown');
      expect(error.message, what).toContain('no such table: saga_events');
    }
  });
});

describe('a saga row arcadia cannot decode', () => {
  it.each([
    ['step_names', `UPDATE saga_runs SET step_names = '["noop"' WHERE id = ?`, 'step_names is not valid JSON'],
    ['context', `UPDATE saga_runs SET context = '{oops' WHERE id = ?`, 'context is not valid JSON'],
    ['status', `UPDATE saga_runs SET status = 'teleporting' WHERE id = ?`, 'status "teleporting"'],
  ])('with a bad %s: list shows it as unreadable among the others; show names the problem', async (_, sql, says) => {
    const { home } = tempHome();
    const [good1, bad, good2] = seed(home, 3) as [string, string, string];
    damage(home, sql, bad);

    const list = await inProcess(['saga', 'list', '--json'], env(home));
    expect(list.code, list.stderr).toBe(0);
    const listed = JSON.parse(list.stdout) as { id: string; status: string; error: string | null }[];
    expect(listed.map((s) => s.id).sort()).toEqual([good1, bad, good2].sort());
    const unreadable = listed.find((s) => s.id === bad);
    expect(unreadable).toMatchObject({ status: 'unreadable', error: expect.stringContaining(says) });
    expect(listed.filter((s) => s.id !== bad).every((s) => s.status === 'pending')).toBe(true);

    const table = await inProcess(['saga', 'list'], env(home));
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`${bad}.*unreadable`));

    const show = await inProcess(['saga', 'show', bad, '--json'], env(home));
    expect(show.code).toBe(4);
    const error = expectJsonError(show, 'show of an unreadable saga');
    expect(error.code).toBe('ledger_row_unreadable');
    expect(error.message).toContain(bad);
    expect(error.message).toContain(says);
  });

  it('throws LedgerRowError from getSaga, naming the saga and the column', () => {
    const { home } = tempHome();
    const [bad] = seed(home, 1) as [string];
    damage(home, `UPDATE saga_step_results SET status = 'beamed' WHERE saga_id = ?`, bad);
    withLedger(home, ({ core }) => {
      expect(() => core.getSaga(bad)).toThrow(LedgerRowError);
      expect(() => core.getSaga(bad)).toThrow(/step 0 has status "beamed"/);
    });
  });

  it('resume --all refuses the unreadable orphan (exit 4) and still runs the others', async () => {
    const { home } = tempHome();
    const [good, bad] = seed(home, 2) as [string, string];
    damage(home, `UPDATE saga_runs SET context = 'nope' WHERE id = ?`, bad);

    const run = await inProcess(['saga', 'resume', '--all', '--json'], env(home));

    expect(run.code, run.stderr).toBe(4);
    expect((JSON.parse(run.stdout) as { id: string }[]).map((s) => s.id)).toEqual([good]);
  });
});
