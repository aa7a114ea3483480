import { StepFailedError } from '../../engine/errors.js';

/** Transfers of the snapshot to a region kept erroring (or their replies kept getting lost). */
export class TransferFailedError extends StepFailedError {
  constructor(
    readonly snapshotId: string,
    readonly region: string,
    readonly attempts: number,
  ) {
    super(`snapshot ${snapshotId} could not be copied to ${region}: ${attempts} transfers errored or went unanswered`);
  }
}

/** The transfer completed, yet the snapshot's regions never listed the region. */
export class TransferUnconfirmedError extends StepFailedError {
  constructor(
    readonly snapshotId: string,
    readonly region: string,
    readonly actionId: number,
  ) {
    super(`transfer ${actionId} of snapshot ${snapshotId} completed, but the snapshot does not list ${region}`);
  }
}

/** A saga's copy_to input holds something other than region slugs. */
export class CopyToInputError extends StepFailedError {
  constructor(readonly value: string) {
    super(`input copy_to must be a list of region slugs, got ${value}`);
  }
}

/** The copy step runs after the snapshot step: without its recorded snapshot there is nothing to copy. */
export class SnapshotNotRecordedError extends StepFailedError {
  constructor(readonly sagaId: string) {
    super(`saga ${sagaId} recorded no droplet snapshot id: there is nothing to copy`);
  }
}
