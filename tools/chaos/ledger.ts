import { existsSync } from 'node:fs';
import { ledgerPath, openLedgerDatabase } from '../../src/db/open.js';
import { SqliteSagaLedger } from '../../src/db/sqlite-ledger.js';
import type { SagaRecord } from '../../src/engine/types.js';
import type { CheckedSaga } from './invariants.js';

/** Every saga in a run's ledger with its events; none when the run died before it made a ledger. */
export function readLedger(home: string): CheckedSaga[] {
  if (!existsSync(ledgerPath(home))) return [];
  const ledger = new SqliteSagaLedger(openLedgerDatabase({ home, busyTimeoutMs: 5000 }), ledgerPath(home), 5000);
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
