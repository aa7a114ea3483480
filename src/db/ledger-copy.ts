import type Database from 'better-sqlite3';
import { asc, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { LedgerRowError } from './errors.js';
import { postgresCounts, sqliteCounts, type LedgerCounts } from './ledger-info.js';
import type { PgLedgerTransaction, PgSagaLedger } from './pg-ledger.js';
import * as pgSchema from './pg-schema.js';
import * as sqliteSchema from './schema.js';
import { ArcadiaError, UsageError } from '../errors.js';

/** `ledger copy` found sagas (or anything) already in the target: merging two histories is not a copy. */
export class LedgerCopyTargetNotEmptyError extends UsageError {
  constructor(
    readonly location: string,
    readonly counts: LedgerCounts,
  ) {
    const sagas = Object.values(counts.byStatus).reduce((sum, n) => sum + n, 0);
    super(
      `the ledger at ${location} is not empty (${sagas} sagas, ${counts.events} events, ` +
        `${counts.reconcileReports} reconcile reports); ledger copy only fills an empty one, nothing was copied`,
    );
  }
}

/** The counts after the copy differ from the source's: the transaction was rolled back. */
export class LedgerCopyMismatchError extends ArcadiaError {
  readonly code = 'ledger_copy_mismatch';
  constructor(
    readonly source: LedgerCounts,
    readonly copied: LedgerCounts,
  ) {
    super(
      `the copy does not match the source (source ${JSON.stringify(source)}, copied ${JSON.stringify(copied)}); ` +
        'it was rolled back, nothing was copied',
    );
  }
}

export interface LedgerCopyReport {
  from: string;
  to: string;
  counts: LedgerCounts;
}

/** PostgreSQL takes at most 65535 parameters per statement: rows go in batches well under that. */
const PARAMETERS_PER_STATEMENT = 30_000;

function batches<T extends object>(rows: T[]): T[][] {
  const columns = rows[0] ? Object.keys(rows[0]).length : 1;
  const size = Math.max(1, Math.floor(PARAMETERS_PER_STATEMENT / columns));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/** jsonb refuses what is not JSON: a damaged saga is named before anything is written. */
function assertJsonColumns(rows: { id: string; context: string; stepNames: string }[], path: string): void {
  for (const row of rows) {
    for (const [column, text] of [
      ['context', row.context],
      ['step_names', row.stepNames],
    ] as const) {
      try {
        JSON.parse(text);
      } catch {
        throw new LedgerRowError(path, row.id, `${column} is not valid JSON, so it cannot be copied`);
      }
    }
  }
}

/**
 * Copies every row of the SQLite ledger (sagas, steps, events with their ids, reconcile reports) into an empty
 * PostgreSQL ledger in one transaction, which also locks the tables against other hosts, checks they are empty,
 * moves the identity sequences past the copied ids, and compares the counts before it commits.
 */
export async function copySqliteLedgerToPostgres(
  sqlite: Database.Database,
  sourcePath: string,
  target: PgSagaLedger,
): Promise<LedgerCopyReport> {
  const source = drizzle(sqlite, { schema: sqliteSchema });
  // One read transaction: a saga running on this host meanwhile cannot make the copy inconsistent.
  const { sagas, steps, events, reports, expected } = sqlite.transaction(() => ({
    sagas: source.select().from(sqliteSchema.sagaRuns).orderBy(asc(sqliteSchema.sagaRuns.createdAt)).all(),
    steps: source.select().from(sqliteSchema.sagaStepResults).all(),
    events: source.select().from(sqliteSchema.sagaEvents).orderBy(asc(sqliteSchema.sagaEvents.id)).all(),
    reports: source.select().from(sqliteSchema.reconcileReports).all(),
    expected: sqliteCounts(sqlite),
  }))();
  assertJsonColumns(sagas, sourcePath);
  const copied = await target.transaction(async (tx) => {
    await tx.execute(
      sql`LOCK TABLE saga_runs, saga_step_results, saga_events, reconcile_reports IN SHARE ROW EXCLUSIVE MODE`,
    );
    const before = await postgresCounts(tx);
    const present = Object.keys(before.byStatus).length + before.steps + before.events + before.reconcileReports;
    if (present > 0) throw new LedgerCopyTargetNotEmptyError(target.location, before);
    for (const rows of batches(sagas)) await tx.insert(pgSchema.sagaRuns).values(rows);
    for (const rows of batches(steps)) await tx.insert(pgSchema.sagaStepResults).values(rows);
    for (const rows of batches(events)) await tx.insert(pgSchema.sagaEvents).values(rows);
    for (const rows of batches(reports)) await tx.insert(pgSchema.reconcileReports).values(rows);
    await advanceIdentity(tx, 'saga_events');
    await advanceIdentity(tx, 'reconcile_reports');
    const after = await postgresCounts(tx);
    if (JSON.stringify(after) !== JSON.stringify(expected)) throw new LedgerCopyMismatchError(expected, after);
    return after;
  });
  return { from: sourcePath, to: target.location, counts: copied };
}

/** Explicit ids leave the identity where it was: the next event would collide with a copied one. */
async function advanceIdentity(tx: PgLedgerTransaction, table: 'saga_events' | 'reconcile_reports'): Promise<void> {
  await tx.execute(
    sql.raw(
      `SELECT setval(pg_get_serial_sequence('${table}', 'id'), coalesce((SELECT max(id) FROM ${table}), 0) + 1, false)`,
    ),
  );
}
