import { join } from 'node:path';
import { readMigrationFiles, type MigrationMeta } from 'drizzle-orm/migrator';
import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import { packageRoot } from '../package-root.js';
import type { PostgresTarget } from './database-url.js';
import { LedgerSchemaError, LedgerTooNewError } from './errors.js';
import { translatePostgresError } from './pg-errors.js';

/** drizzle-kit's output for PostgreSQL (`npm run db:generate`), shipped with the package. */
const migrationsFolder = (): string => join(packageRoot(), 'drizzle', 'postgres');
/** drizzle's own table name and columns, so drizzle-kit tooling reads our ledgers too (in `public`, see config). */
export const PG_MIGRATIONS_TABLE = '__drizzle_migrations';
/** pg_advisory_lock key of the migrations: two hosts opening a fresh database at once migrate it once. */
const MIGRATION_LOCK = 0x61726361_0001n;

let knownMigrations: MigrationMeta[] | undefined;

export function postgresMigrations(): MigrationMeta[] {
  knownMigrations ??= readMigrationFiles({ migrationsFolder: migrationsFolder() });
  return knownMigrations;
}

/**
 * A pool of connections to the target. Connect and statement timeouts come from the target (configurable), so a
 * database that stops answering is an error after a bounded wait instead of a hang. Idle connections are closed
 * (the pool must not keep a short command's process alive), and a connection's error never crashes the process.
 */
export function createPool(target: PostgresTarget, options: { max?: number } = {}): pg.Pool {
  // Parsed here, not given to the pool as a connectionString: the pool would let the URL's (absent) password
  // override the one given beside it.
  const { password: _none, ...parsed } = parseIntoClientConfig(target.connectionString);
  const pool = new pg.Pool({
    ...parsed,
    // Absent: the driver reads PGPASSWORD, then ~/.pgpass, as libpq does.
    ...(target.password !== undefined ? { password: target.password } : {}),
    connectionTimeoutMillis: target.connectTimeoutMs,
    query_timeout: target.queryTimeoutMs,
    // A process stopped (SIGSTOP, a debugger) inside a transaction would hold its row locks for as long as its
    // connection lives, and every other host's lease take-over would wait on them: the server ends such a session.
    idle_in_transaction_session_timeout: Math.max(1_000, Math.floor(target.queryTimeoutMs / 2)),
    application_name: 'arcadia',
    max: options.max ?? 10,
    idleTimeoutMillis: 10_000,
    allowExitOnIdle: true,
    keepAlive: true,
  });
  // A connection the server drops emits 'error' (on the pool when idle, on the client when checked out, where
  // nothing listens and Node would end the process); the statement in flight, or the next, reports it instead.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

async function appliedMigrationCount(client: pg.PoolClient): Promise<number> {
  const exists = await client.query<{ present: boolean }>(
    `SELECT to_regclass('public.${PG_MIGRATIONS_TABLE}') IS NOT NULL AS present`,
  );
  if (!exists.rows[0]?.present) return 0;
  const count = await client.query<{ n: string }>(`SELECT count(*) AS n FROM public.${PG_MIGRATIONS_TABLE}`);
  return Number(count.rows[0]?.n ?? 0);
}

async function hasLedgerTables(client: pg.PoolClient): Promise<boolean> {
  const found = await client.query<{ present: boolean }>(
    `SELECT to_regclass('public.saga_runs') IS NOT NULL OR to_regclass('public.saga_events') IS NOT NULL AS present`,
  );
  return found.rows[0]?.present === true;
}

function refuseUnknownSchema(applied: number, tables: boolean, target: PostgresTarget): void {
  const known = postgresMigrations().length;
  if (applied > known) throw new LedgerTooNewError(target.location, applied, known);
  if (applied === 0 && tables) {
    throw new LedgerSchemaError(
      target.location,
      `it has arcadia's tables but no ${PG_MIGRATIONS_TABLE} table recording its migrations`,
    );
  }
}

/**
 * Refuses a database written by a newer arcadia (or with arcadia's tables but no migrations record), then applies
 * the pending migrations in one transaction under a session advisory lock: a second host opening the same fresh
 * database waits, then finds nothing left to do. Returns the schema version (migrations applied).
 */
export async function migratePostgres(pool: pg.Pool, target: PostgresTarget): Promise<number> {
  const all = postgresMigrations();
  let client: pg.PoolClient | undefined;
  try {
    client = await pool.connect();
    const seen = await appliedMigrationCount(client);
    if (seen === all.length) return seen;
    refuseUnknownSchema(seen, seen === 0 && (await hasLedgerTables(client)), target);
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK.toString()]);
    try {
      // Read again under the lock: another host may have migrated while we waited.
      const applied = await appliedMigrationCount(client);
      refuseUnknownSchema(applied, applied === 0 && (await hasLedgerTables(client)), target);
      if (applied === all.length) return applied;
      await client.query('BEGIN');
      try {
        await client.query(
          `CREATE TABLE IF NOT EXISTS public.${PG_MIGRATIONS_TABLE} ` +
            '(id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)',
        );
        for (const migration of all.slice(applied)) {
          for (const statement of migration.sql) if (statement.trim()) await client.query(statement);
          await client.query(`INSERT INTO public.${PG_MIGRATIONS_TABLE} (hash, created_at) VALUES ($1, $2)`, [
            migration.hash,
            migration.folderMillis,
          ]);
        }
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
      return all.length;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK.toString()]).catch(() => undefined);
    }
  } catch (error) {
    throw translatePostgresError(error, target);
  } finally {
    client?.release();
  }
}

/** The schema version of an open database (migrations applied), for `ledger info`. */
export async function postgresSchemaVersion(pool: pg.Pool, target: PostgresTarget): Promise<number> {
  let client: pg.PoolClient | undefined;
  try {
    client = await pool.connect();
    return await appliedMigrationCount(client);
  } catch (error) {
    throw translatePostgresError(error, target);
  } finally {
    client?.release();
  }
}
