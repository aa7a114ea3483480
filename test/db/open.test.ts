import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LedgerBusyError, LedgerCorruptError, LedgerTooNewError, LedgerUnavailableError } from '../../src/db/errors.js';
import { ledgerPath, openLedgerDatabase } from '../../src/db/open.js';
import { SqliteSagaLedger } from '../../src/db/sqlite-ledger.js';
import { newSaga, openTestLedger, withLedger } from '../helpers/ledger.js';
import { tempHome } from '../helpers/temp-home.js';

const journal = JSON.parse(
  readFileSync(new URL('../../drizzle/sqlite/meta/_journal.json', import.meta.url), 'utf8'),
) as {
  entries: { tag: string }[];
};
const KNOWN_MIGRATIONS = journal.entries.length;

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

function bytes(path: string): Buffer {
  return readFileSync(path);
}

describe('openLedgerDatabase', () => {
  it('creates the ledger and applies every migration once', () => {
    const { home } = tempHome();
    withLedger(home, ({ db }) => {
      const applied = db.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number };
      expect(applied.n).toBe(KNOWN_MIGRATIONS);
      const tables = (
        db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]
      ).map((r) => r.name);
      expect(tables).toEqual(
        expect.arrayContaining(['saga_runs', 'saga_step_results', 'saga_events', '__drizzle_migrations']),
      );
    });
    // Opening again applies nothing twice.
    withLedger(home, ({ db }) => {
      expect((db.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number }).n).toBe(
        KNOWN_MIGRATIONS,
      );
    });
  });

  it('sets WAL mode, full sync, foreign keys and the busy timeout', () => {
    const { home } = tempHome();
    const t = openTestLedger(home, { busyTimeoutMs: 1_234 });
    try {
      expect(t.db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(t.db.pragma('busy_timeout', { simple: true })).toBe(1_234);
      expect(t.db.pragma('synchronous', { simple: true })).toBe(2);
      expect(t.db.pragma('foreign_keys', { simple: true })).toBe(1);
    } finally {
      t.close();
    }
  });

  it('makes the home 0700 and the ledger and its WAL files 0600, whatever the umask', async () => {
    const { home: parent } = tempHome();
    const home = join(parent, 'nested', 'arcadia');
    const previous = process.umask(0o022);
    try {
      const t = openTestLedger(home);
      await t.ledger.createSaga(newSaga({ stepNames: ['noop'] }), Date.now());
      expect(mode(home)).toBe(0o700);
      expect(mode(ledgerPath(home))).toBe(0o600);
      for (const suffix of ['-wal', '-shm']) {
        expect(existsSync(ledgerPath(home) + suffix)).toBe(true);
        expect(mode(ledgerPath(home) + suffix)).toBe(0o600);
      }
      t.close();
    } finally {
      process.umask(previous);
    }
  });

  it('refuses a ledger written by a newer arcadia (more migrations than known) and leaves its bytes alone', () => {
    const { home } = tempHome();
    withLedger(home, ({ db }) => {
      db.prepare('INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)').run(
        'from-the-future',
        Date.now(),
      );
    });
    const before = bytes(ledgerPath(home));

    let error: unknown;
    try {
      openLedgerDatabase({ home, busyTimeoutMs: 1_000 });
    } catch (e) {
      error = e;
    }

    expect(error).toBeInstanceOf(LedgerTooNewError);
    expect(error).toMatchObject({ ledgerMigrations: KNOWN_MIGRATIONS + 1, knownMigrations: KNOWN_MIGRATIONS });
    expect(bytes(ledgerPath(home)).equals(before)).toBe(true);
  });

  it('refuses a file that is not a SQLite database with LedgerCorruptError and leaves it alone', () => {
    const { home } = tempHome();
    const garbage = Buffer.from('this is not a database, it is a grocery list\n'.repeat(200));
    writeFileSync(ledgerPath(home), garbage, { mode: 0o600 });

    expect(() => openLedgerDatabase({ home, busyTimeoutMs: 1_000 })).toThrow(LedgerCorruptError);

    expect(bytes(ledgerPath(home)).equals(garbage)).toBe(true);
    expect(readdirSync(home)).toEqual(['arcadia.db']);
  });

  it('reports a home it cannot create as LedgerUnavailableError', () => {
    const { home: parent } = tempHome();
    writeFileSync(join(parent, 'a-file'), 'x');
    expect(() => openLedgerDatabase({ home: join(parent, 'a-file', 'home'), busyTimeoutMs: 1_000 })).toThrow(
      LedgerUnavailableError,
    );
  });

  it('reports a home it cannot write in as LedgerUnavailableError', () => {
    // Root ignores permission bits, so chmod 0500 would not stop it; /proc/self is a directory nobody can create
    // files in. (Not /proc/self/<missing>: Node's recursive mkdir loops forever on procfs paths.)
    const home = process.getuid?.() === 0 ? '/proc/self' : join(tempHome().home, 'ro');
    if (home !== '/proc/self') mkdirSync(home, { mode: 0o500 });
    expect(() => openLedgerDatabase({ home, busyTimeoutMs: 1_000 })).toThrow(LedgerUnavailableError);
  });

  it('turns a write lock held past the busy timeout into LedgerBusyError, writing nothing', async () => {
    const { home } = tempHome();
    const t = openTestLedger(home, { busyTimeoutMs: 50 });
    const blocker = new Database(ledgerPath(home));
    try {
      blocker.exec('BEGIN IMMEDIATE');
      await expect(t.ledger.createSaga(newSaga({ stepNames: ['noop'] }), Date.now())).rejects.toThrow(LedgerBusyError);
      blocker.exec('ROLLBACK');
      expect(await t.ledger.listSagas({})).toEqual([]);
    } finally {
      blocker.close();
      t.close();
    }
  });
});

describe('SqliteSagaLedger (construction)', () => {
  it('works on the connection openLedgerDatabase returns', async () => {
    const { home } = tempHome();
    const db = openLedgerDatabase({ home, busyTimeoutMs: 1_000 });
    const ledger = new SqliteSagaLedger(db, ledgerPath(home), 1_000);
    try {
      const saga = await ledger.createSaga(newSaga({ stepNames: ['a', 'b'], inputs: { n: 1 } }), 1_000);
      expect(saga).toMatchObject({ status: 'pending', leaseEpoch: 0, owner: null, context: { __inputs__: { n: 1 } } });
      expect(saga.steps.map((s) => [s.idx, s.name, s.status, s.attempts])).toEqual([
        [0, 'a', 'pending', 0],
        [1, 'b', 'pending', 0],
      ]);
    } finally {
      await ledger.close();
    }
  });
});
