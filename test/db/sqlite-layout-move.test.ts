import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { chmodSync, copyFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ledgerPath } from '../../src/db/open.js';
import { newSaga, withLedger } from '../helpers/ledger.js';
import { tempHome } from '../helpers/temp-home.js';

/**
 * A ledger made by arcadia before the migrations moved from drizzle/ to drizzle/sqlite/ (two sagas, both
 * migrations applied): opening it must neither re-apply nor refuse anything.
 */
const FIXTURE = fileURLToPath(new URL('./fixtures/ledger-before-dialect-folders.db', import.meta.url));
const SQLITE_MIGRATIONS = fileURLToPath(new URL('../../drizzle/sqlite', import.meta.url));

function homeWithOldLedger(): string {
  const { home } = tempHome();
  copyFileSync(FIXTURE, ledgerPath(home));
  chmodSync(ledgerPath(home), 0o600);
  return home;
}

describe('a SQLite ledger from before drizzle/sqlite/', () => {
  it('opens with its sagas and events, and its migration rows match the moved files by hash and time', () => {
    const home = homeWithOldLedger();
    withLedger(home, ({ core: ledger, db }) => {
      const sagas = ledger.listSagas({});
      expect(sagas.map((s) => [s.triggeredBy, s.status])).toEqual([
        ['fixture', 'rolled_back'],
        ['fixture', 'succeeded'],
      ]);
      const succeeded = ledger.getSaga(sagas[1]!.id)!;
      expect(succeeded.context).toMatchObject({ __inputs__: { note: 'before-the-move' } });
      expect(ledger.listEvents(sagas[0]!.id).at(-1)).toMatchObject({ to: 'rolled_back' });
      const applied = db.prepare('SELECT hash, created_at AS at FROM __drizzle_migrations ORDER BY id').all();
      const files = readMigrationFiles({ migrationsFolder: SQLITE_MIGRATIONS });
      expect(applied).toEqual(files.map((m) => ({ hash: m.hash, at: m.folderMillis })));
      // And it is still writable.
      ledger.createSaga(newSaga({ stepNames: ['noop'] }), Date.now());
      expect(ledger.listSagas({})).toHaveLength(3);
    });
  });

  it("is recognised by drizzle's own migrator too: only migrations newer than the fixture are applied", () => {
    const home = homeWithOldLedger();
    const sqlite = new Database(ledgerPath(home));
    try {
      // Would fail on the first CREATE TABLE if it thought the moved migrations were pending; it applies only
      // those written after the fixture was made.
      migrate(drizzle(sqlite), { migrationsFolder: SQLITE_MIGRATIONS });
      const files = readMigrationFiles({ migrationsFolder: SQLITE_MIGRATIONS });
      expect(sqlite.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get()).toEqual({ n: files.length });
    } finally {
      sqlite.close();
    }
  });
});
