import { SagaInterruptedError, SagaOwnedError, errorMessage, interruptionOf } from '../../../engine/errors.js';
import type { SagaRecord } from '../../../engine/types.js';
import type { Output } from '../../../output/output.js';
import { batchProgress } from '../../../output/views/batch-progress.js';
import type { App } from '../../app.js';
import { runPool } from '../../pool.js';
import { runSagaReporting, runSagaWithProgress } from '../../run-saga.js';
import {
  printQuotaNotice,
  QUOTA_LINE_KEY,
  quotaNoticeDetail,
  type QuotaForecast,
} from '../../../output/views/quota-view.js';
import { resultOf, type DropletOutcome } from './outcome.js';
import { BatchQuotaGate } from './quota-gate.js';
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

/** What a batch run brings back: each saga's outcome, and the quota notice if the quota slowed the batch. */
export interface BatchRun {
  outcomes: Map<string, DropletOutcome>;
  quotaNotice: QuotaForecast | undefined;
}

/**
 * Runs the planned sagas with at most `concurrency` at once, paced to the hourly API quota (`BatchQuotaGate`), and
 * returns their outcomes keyed by saga id. One droplet gets the familiar spinner; a fleet gets one live line per
 * droplet in flight, and a line for the quota once it slows the batch.
 */
export async function runPlannedSagas(
  app: App,
  output: Output,
  planned: PlannedSaga[],
  concurrency: number,
  requestsPerSaga: number,
): Promise<BatchRun> {
  const outcomes = new Map<string, DropletOutcome>();
  const gate = new BatchQuotaGate(app.api(), requestsPerSaga, (forecast) => printQuotaNotice(output, forecast));
  gate.check(planned.length);
  const [only] = planned;
  if (planned.length === 1 && only) {
    const label = `droplet ${only.dropletId}`;
    outcomes.set(only.sagaId, await runDroplet(only, () => runSagaWithProgress(app, output, only.sagaId, label)));
    return { outcomes, quotaNotice: gate.notice };
  }
  const view = batchProgress(output, planned.length);
  gate.tellTo((forecast) => view.update(QUOTA_LINE_KEY, quotaNoticeDetail(forecast)));
  try {
    const notStarted = await runPool(
      planned,
      concurrency,
      async (droplet) => {
        const key = `droplet ${droplet.dropletId}`;
        const report = (text: string): void => view.update(key, text);
        const outcome = await runDroplet(droplet, () => runSagaReporting(app, droplet.sagaId, report));
        outcomes.set(droplet.sagaId, outcome);
        view.done(key, doneText(outcome));
      },
      app.stop,
      gate,
    );
    markNotStarted(app, notStarted, outcomes);
  } finally {
    view.stop();
  }
  return { outcomes, quotaNotice: gate.notice };
}

/** Sagas of the batch the pool never started after an interruption: unfinished too, and listed as such. */
function markNotStarted(app: App, notStarted: PlannedSaga[], outcomes: Map<string, DropletOutcome>): void {
  const interruption = interruptionOf(app.stop);
  if (!interruption) return;
  for (const { dropletId, sagaId } of notStarted) {
    const error = new SagaInterruptedError(sagaId, interruption.signalName);
    outcomes.set(sagaId, { kind: 'interrupted', dropletId, sagaId, error, notStarted: true });
  }
}
