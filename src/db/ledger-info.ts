import type Database from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import type { PgSagaLedger } from './pg-ledger.js';
import { postgresMigrations } from './pg-open.js';
import { knownSqliteMigrations, sqliteSchemaVersion } from './open.js';

/** What `arcadia ledger info` tells: which backend, where (never a secret), which schema, how much is in it. */
export interface LedgerInfo {
  backend: 'sqlite' | 'postgres';
  /** The SQLite file, or the database as `host:port/dbname`. */
  location: string;
  /** Migrations applied to this ledger, and how many this arcadia knows. */
  schemaVersion: number;
  knownSchemaVersion: number;
  sagas: { total: number; byStatus: Record<string, number> };
  steps: number;
  events: number;
  reconcileReports: number;
}

export interface LedgerCounts {
  byStatus: Record<string, number>;
  steps: number;
  events: number;
  reconcileReports: number;
}

export const COUNT_QUERIES = {
  byStatus: 'SELECT status, count(*) AS n FROM saga_runs GROUP BY status',
  totals:
    'SELECT (SELECT count(*) FROM saga_step_results) AS steps, (SELECT count(*) FROM saga_events) AS events, ' +
    '(SELECT count(*) FROM reconcile_reports) AS reports',
};

function countsOf(
  statuses: { status: string; n: number | string }[],
  totals: { steps: number | string; events: number | string; reports: number | string } | undefined,
): LedgerCounts {
  return {
    // Sorted here, byte by byte: the database's collation may order the statuses otherwise.
    byStatus: Object.fromEntries(
      statuses.map((r) => [r.status, Number(r.n)] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    ),
    steps: Number(totals?.steps ?? 0),
    events: Number(totals?.events ?? 0),
    reconcileReports: Number(totals?.reports ?? 0),
  };
}

function infoOf(
  backend: LedgerInfo['backend'],
  location: string,
  versions: [number, number],
  c: LedgerCounts,
): LedgerInfo {
  const total = Object.values(c.byStatus).reduce((sum, n) => sum + n, 0);
  return {
    backend,
    location,
    schemaVersion: versions[0],
    knownSchemaVersion: versions[1],
    sagas: { total, byStatus: c.byStatus },
    steps: c.steps,
    events: c.events,
    reconcileReports: c.reconcileReports,
  };
}

export function sqliteCounts(db: Database.Database): LedgerCounts {
  const statuses = db.prepare(COUNT_QUERIES.byStatus).all() as { status: string; n: number }[];
  const totals = db.prepare(COUNT_QUERIES.totals).get() as { steps: number; events: number; reports: number };
  return countsOf(statuses, totals);
}

export function sqliteLedgerInfo(db: Database.Database, path: string): LedgerInfo {
  const versions: [number, number] = [sqliteSchemaVersion(db), knownSqliteMigrations()];
  return infoOf('sqlite', path, versions, sqliteCounts(db));
}

/** Counts through any query runner of the PostgreSQL ledger (the pool, or a transaction). */
export async function postgresCounts(run: Pick<PgSagaLedger['db'], 'execute'>): Promise<LedgerCounts> {
  const statuses = await run.execute<{ status: string; n: string }>(sql.raw(COUNT_QUERIES.byStatus));
  const totals = await run.execute<{ steps: string; events: string; reports: string }>(sql.raw(COUNT_QUERIES.totals));
  return countsOf(statuses.rows, totals.rows[0]);
}

export async function postgresLedgerInfo(ledger: PgSagaLedger): Promise<LedgerInfo> {
  // One snapshot for all counts, as SQLite's single reader sees.
  const counts = await ledger.transaction((tx) => postgresCounts(tx), { isolationLevel: 'repeatable read' });
  return infoOf('postgres', ledger.location, [ledger.schemaVersion, postgresMigrations().length], counts);
}
