import type Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { readMigrationFiles, type MigrationMeta } from 'drizzle-orm/migrator';
import { packageRoot } from '../package-root.js';
import {
  LedgerBusyError,
  LedgerCorruptError,
  LedgerSchemaError,
  LedgerTooNewError,
  LedgerUnavailableError,
} from './errors.js';
import { ensureDir } from '../ensure-dir.js';
import { checkOwnDirectory, checkOwnFile, createOwnFile, UnsafePathError } from '../file-safety.js';

/**
 * Loaded with require, not import: importing a CommonJS package from ES modules makes Node scan its source for
 * export names first, a few milliseconds of every command's start-up.
 */
const BetterSqlite3 = createRequire(import.meta.url)('better-sqlite3') as typeof Database;

export interface OpenLedgerOptions {
  home: string;
  busyTimeoutMs: number;
  /**
   * For commands that only read (`saga list`, `saga show`): nothing is created or converted. A missing home or
   * ledger, or an empty ledger file, reads as an empty ledger held in memory.
   */
  readOnly?: boolean;
}

/**
 * drizzle-kit's output for SQLite, shipped with the package. It was `drizzle/` before PostgreSQL came: the files
 * moved unchanged, and migrations are matched by count (their hash and folderMillis stay the same too), so ledgers
 * made before the move open as they were (test/db/sqlite-layout-move.test.ts).
 */
const migrationsFolder = (): string => join(packageRoot(), 'drizzle', 'sqlite');
/** The table drizzle's own migrator keeps, so drizzle-kit tooling reads our ledgers too. */
const MIGRATIONS_TABLE = '__drizzle_migrations';

let knownMigrations: MigrationMeta[] | undefined;

export function ledgerPath(home: string): string {
  return join(home, 'arcadia.db');
}

function sqliteCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

/** Turns driver errors into ledger errors an operator can act on; leaves everything else alone. */
export function translateSqliteError(error: unknown, path: string, busyTimeoutMs: number): unknown {
  const code = sqliteCode(error);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return new LedgerBusyError(path, busyTimeoutMs);
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT')
    return new LedgerCorruptError(path, (error as Error).message);
  // A table or column dropped behind arcadia's back: the schema is not the one the migrations made.
  if (code === 'SQLITE_ERROR' && /^no such (table|column)/.test((error as Error).message)) {
    return new LedgerSchemaError(path, (error as Error).message);
  }
  if (
    code === 'SQLITE_READONLY' ||
    code === 'SQLITE_CANTOPEN' ||
    code === 'SQLITE_IOERR_WRITE' ||
    code === 'SQLITE_FULL' ||
    code?.startsWith('SQLITE_IOERR')
  ) {
    return new LedgerUnavailableError(path, (error as Error).message);
  }
  return error;
}

/**
 * Opens (creating if needed) the ledger, refuses one written by a newer schema, then applies pending migrations.
 * Owner-only permissions: the ledger records what was done to production machines. Refuses (UnsafePathError) a home
 * or ledger another user owns or may write, and symlinks in place of the ledger's files.
 */
export function openLedgerDatabase(options: OpenLedgerOptions): Database.Database {
  const path = ledgerPath(options.home);
  if (options.readOnly) {
    if (!hasLedgerFile(options.home)) return emptyLedgerInMemory();
  } else {
    prepareLedgerFile(options.home);
  }
  let db: Database.Database;
  try {
    db = new BetterSqlite3(path, { timeout: options.busyTimeoutMs });
  } catch (error) {
    throw translateSqliteError(error, path, options.busyTimeoutMs);
  }
  try {
    refuseNewerSchema(db, path);
    if (options.readOnly && appliedMigrationCount(db) === 0) {
      // A SQLite file with nothing in it yet: reading it must not make it a ledger.
      db.close();
      return emptyLedgerInMemory();
    }
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    applyMigrations(db);
    checkLedgerFiles(path); // tightens the journal files SQLite just created
  } catch (error) {
    if (db.open) db.close();
    throw translateSqliteError(error, path, options.busyTimeoutMs);
  }
  return db;
}

/** Checks the home and ledger file for a writing command, creating them owner-only where missing. */
function prepareLedgerFile(home: string): void {
  const path = ledgerPath(home);
  try {
    ensureDir(home, 0o700);
    checkOwnDirectory(home, 'the arcadia home');
    checkLedgerFiles(path);
    createOwnFile(path, 'the ledger');
  } catch (error) {
    if (error instanceof UnsafePathError) throw error;
    throw new LedgerUnavailableError(path, (error as NodeJS.ErrnoException).code ?? (error as Error).message);
  }
}

/** Whether a read-only command has a ledger to open: the home and a non-empty ledger file exist (and are checked). */
function hasLedgerFile(home: string): boolean {
  const path = ledgerPath(home);
  try {
    if (!checkOwnDirectory(home, 'the arcadia home')) return false;
    const size = checkOwnFile(path, 'the ledger');
    checkLedgerFiles(path);
    return size !== undefined && size > 0;
  } catch (error) {
    if (error instanceof UnsafePathError) throw error;
    throw new LedgerUnavailableError(path, (error as NodeJS.ErrnoException).code ?? (error as Error).message);
  }
}

/** SQLite opens the journal files by name: a planted symlink there would be followed. */
function checkLedgerFiles(path: string): void {
  for (const suffix of ['-wal', '-shm']) checkOwnFile(path + suffix, "the ledger's journal");
}

/** What a read-only command sees where there is no ledger yet: the schema, and no sagas. */
function emptyLedgerInMemory(): Database.Database {
  const db = new BetterSqlite3(':memory:');
  applyMigrations(db);
  return db;
}

function migrations(): MigrationMeta[] {
  knownMigrations ??= readMigrationFiles({ migrationsFolder: migrationsFolder() });
  return knownMigrations;
}

/** How many migrations this arcadia ships for SQLite: the newest schema version it knows. */
export function knownSqliteMigrations(): number {
  return migrations().length;
}

/** The schema version of an open SQLite ledger: the migrations applied to it. */
export function sqliteSchemaVersion(db: Database.Database): number {
  return appliedMigrationCount(db);
}

function appliedMigrationCount(db: Database.Database): number {
  const table = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?`).get(MIGRATIONS_TABLE);
  if (!table) return 0;
  const row = db.prepare(`SELECT count(*) AS n FROM ${MIGRATIONS_TABLE}`).get() as { n: number };
  return row.n;
}

function refuseNewerSchema(db: Database.Database, path: string): void {
  const applied = appliedMigrationCount(db);
  if (applied > migrations().length) throw new LedgerTooNewError(path, applied, migrations().length);
  if (applied === 0 && hasTables(db)) {
    // Migrating would fail on the first CREATE TABLE (or, worse, succeed on someone else's database).
    throw new LedgerSchemaError(path, `it has tables but no ${MIGRATIONS_TABLE} table recording its migrations`);
  }
}

function hasTables(db: Database.Database): boolean {
  const tables = `SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`;
  return (db.prepare(tables).get() as { n: number }).n > 0;
}

/** Runs under BEGIN IMMEDIATE so two processes opening a fresh ledger at once do not both migrate it. */
function applyMigrations(db: Database.Database): void {
  const all = migrations();
  if (appliedMigrationCount(db) === all.length) return;
  db.transaction(() => {
    db.exec(
      `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} ` +
        `(id INTEGER PRIMARY KEY AUTOINCREMENT, hash text NOT NULL, created_at numeric)`,
    );
    const applied = appliedMigrationCount(db);
    for (const migration of all.slice(applied)) {
      for (const statement of migration.sql) if (statement.trim()) db.exec(statement);
      db.prepare(`INSERT INTO ${MIGRATIONS_TABLE} (hash, created_at) VALUES (?, ?)`).run(
        migration.hash,
        migration.folderMillis,
      );
    }
  }).immediate();
}
