import { SagaOwnedError, errorMessage } from '../../../engine/errors.js';
import type { SagaRecord } from '../../../engine/types.js';
import type { Output } from '../../../output/output.js';
import { batchProgress } from '../../../output/views/batch-progress.js';
import type { App } from '../../app.js';
import { runPool } from '../../pool.js';
import { runSagaReporting, runSagaWithProgress } from '../../run-saga.js';
import { resultOf, type DropletOutcome } from './outcome.js';
import type { PlannedSaga } from './planning.js';

/** Runs one droplet's saga; whatever stops it stops this droplet only. */
async function runDroplet({ dropletId, sagaId }: PlannedSaga, run: () => Promise<SagaRecord>): Promise<DropletOutcome> {
  try {
    return { kind: 'ran', dropletId, saga: await run(), resumed: false };
  } catch (error) {
    // Owned by someone else: in good hands. Anything else leaves the saga resumable.
    if (error instanceof SagaOwnedError) return { kind: 'skipped', dropletId, sagaId, reason: errorMessage(error) };
    return { kind: 'interrupted', dropletId, sagaId, error };
  }
}

function doneText(outcome: DropletOutcome): string {
  const { status, snapshotName, error } = resultOf(outcome);
  return `${status}${snapshotName ? ` ${snapshotName}` : ''}${error ? ` - ${error}` : ''}`;
}

/**
 * Runs the planned sagas with at most `concurrency` at once and returns their outcomes keyed by saga id. One
 * droplet gets the familiar spinner; a fleet gets one live line per droplet in flight.
 */
export async function runPlannedSagas(
  app: App,
  output: Output,
  planned: PlannedSaga[],
  concurrency: number,
): Promise<Map<string, DropletOutcome>> {
  const outcomes = new Map<string, DropletOutcome>();
  const [only] = planned;
  if (planned.length === 1 && only) {
    const label = `droplet ${only.dropletId}`;
    outcomes.set(only.sagaId, await runDroplet(only, () => runSagaWithProgress(app, output, only.sagaId, label)));
    return outcomes;
  }
  const view = batchProgress(output, planned.length);
  try {
    await runPool(planned, concurrency, async (droplet) => {
      const key = `droplet ${droplet.dropletId}`;
      const report = (text: string): void => view.update(key, text);
      const outcome = await runDroplet(droplet, () => runSagaReporting(app, droplet.sagaId, report));
      outcomes.set(droplet.sagaId, outcome);
      view.done(key, doneText(outcome));
    });
  } finally {
    view.stop();
  }
  return outcomes;
}
