import { SagaOwnedError } from '../../engine/errors.js';
import type { SagaRecord } from '../../engine/types.js';
import type { Output } from '../../output/output.js';
import type { App } from '../app.js';
import { isSagaInGoodHands, liveOwnerOf } from '../owner-liveness.js';
import { runPool } from '../pool.js';
import { runSagaReporting, runSagaWithProgress } from '../run-saga.js';

/** Every unfinished saga whose owner is gone, oldest first; live owners are left alone. */
export async function resumeOrphans(
  app: App,
  output: Output,
  filter?: { kind?: string },
  concurrency = 1,
): Promise<SagaRecord[]> {
  const orphans: string[] = [];
  for (const id of app.ledger.listUnfinishedSagaIds(filter)) {
    const saga = app.ledger.getSaga(id);
    if (saga && !isSagaInGoodHands(app, saga)) {
      orphans.push(id);
      continue;
    }
    const owner = liveOwnerOf(app, id);
    const why = owner ? `owned by pid ${owner.pid} on ${owner.host}` : 'its batch is still running';
    output.progress(`saga ${id} skipped: ${why}`);
  }
  const resumed: SagaRecord[] = [];
  await runPool(orphans, concurrency, async (id) => {
    try {
      const report = (text: string): void => output.progress(`${id.slice(0, 8)}: ${text}`);
      resumed.push(await (concurrency > 1 ? runSagaReporting(app, id, report) : runSagaWithProgress(app, output, id)));
    } catch (error) {
      // Another executor took it between our look and our claim: it is in good hands.
      if (!(error instanceof SagaOwnedError)) throw error;
      output.progress(`saga ${id} skipped: ${error.message}`);
    }
  });
  return resumed;
}
