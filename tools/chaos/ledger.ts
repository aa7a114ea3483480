import { existsSync } from 'node:fs';
import { ledgerPath, openLedgerDatabase } from '../../src/db/open.js';
import { SqliteLedgerCore } from '../../src/db/sqlite-ledger-core.js';
import type { SagaRecord } from '../../src/engine/types.js';
import type { CheckedSaga } from './invariants.js';

/**
 * Every saga in a run's ledger with its events; none when the run died before it made a ledger. Read through the
 * synchronous SQLite core: the chaos runs are SQLite's, and their checks are plain functions.
 */
export function readLedger(home: string): CheckedSaga[] {
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
