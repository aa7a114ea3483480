import { StepFailedError } from '../../engine/errors.js';
import { statusText } from './wait.js';

/**
 * Compensation met a snapshot action of its saga that had not ended: it may still make the snapshot after the
 * rollback, so the undo is not done. The saga ends compensation_failed, for a person to check once the action ends.
 */
export class SnapshotActionUnfinishedError extends StepFailedError {
  constructor(
    readonly actionId: number,
    readonly status: string,
    readonly waitedMs: number,
    readonly snapshotName: string,
  ) {
    super(
      `snapshot action ${actionId} was still ${statusText(status)} after ${waitedMs} ms ` +
        `(ARCADIA_ACTION_TIMEOUT_MS), so snapshot ${snapshotName} may yet appear and the undo is not done; ` +
        'once the action ends, run arcadia reconcile',
    );
  }
}
