import { existsSync } from 'node:fs';
import type { PostgresTarget } from '../../src/db/database-url.js';
import { ledgerPath, openLedgerDatabase } from '../../src/db/open.js';
import { PgSagaLedger } from '../../src/db/pg-ledger.js';
import { SqliteLedgerCore } from '../../src/db/sqlite-ledger-core.js';
import type { SagaRecord } from '../../src/engine/types.js';
import type { CheckedSaga } from './invariants.js';

/** Where a run's ledger is: one home's SQLite file, or the run's PostgreSQL database that both hosts share. */
export type LedgerSource = { backend: 'sqlite'; home: string } | { backend: 'postgres'; target: PostgresTarget };

/**
 * Every saga in a home's SQLite ledger with its events; none when the run died before it made a ledger. Read
 * through the synchronous SQLite core, for the end-to-end helpers whose checks are synchronous.
 */
export function readSqliteLedger(home: string): CheckedSaga[] {
  if (!existsSync(ledgerPath(home))) return [];
  const ledger = new SqliteLedgerCore(openLedgerDatabase({ home, busyTimeoutMs: 5000 }), ledgerPath(home), 5000);
  try {
    return ledger
      .listSagas({ limit: 100_000 })
      .map((summary) => ledger.getSaga(summary.id))
      .filter((saga): saga is SagaRecord => saga !== undefined)
      .map((saga) => ({ ...saga, events: ledger.listEvents(saga.id) }));
  } finally {
    ledger.close();
  }
}

/**
 * Every saga of a run's ledger with its events, on either backend; the invariants stay plain functions over these
 * records. PostgreSQL is read through a connection of the harness's own (opening migrates an empty database, so a
 * run that died before any arcadia process reached the database reads as no sagas).
 */
export async function readLedger(source: LedgerSource): Promise<CheckedSaga[]> {
  if (source.backend === 'sqlite') return readSqliteLedger(source.home);
  const ledger = await PgSagaLedger.open(source.target, { poolSize: 2 });
  try {
    const records: CheckedSaga[] = [];
    for (const summary of await ledger.listSagas({ limit: 100_000 })) {
      const saga = await ledger.getSaga(summary.id);
      if (saga) records.push({ ...saga, events: await ledger.listEvents(saga.id) });
    }
    return records;
  } finally {
    await ledger.close();
  }
}
