import { StepFailedError } from '../../engine/errors.js';

/** DigitalOcean keeps at most this many snapshots per volume: the next one would be refused. */
export class VolumeSnapshotLimitError extends StepFailedError {
  constructor(
    readonly volumeId: string,
    readonly count: number,
    readonly limit: number,
  ) {
    super(
      `volume ${volumeId} already has ${count} snapshots, DigitalOcean's limit is ${limit}: ` +
        'delete some (or let retention do it) before snapshotting it again',
    );
  }
}

/** DigitalOcean allows one snapshot per volume per interval (10 minutes). */
export class VolumeSnapshotTooSoonError extends StepFailedError {
  constructor(
    readonly volumeId: string,
    readonly lastSnapshotAt: string,
    readonly intervalMs: number,
  ) {
    super(
      `volume ${volumeId} was snapshotted at ${lastSnapshotAt}; DigitalOcean allows one snapshot per volume every ` +
        `${Math.round(intervalMs / 60_000)} minutes: try again later`,
    );
  }
}

/** The volume snapshot's POST kept failing without a reply, and no snapshot of that name appeared. */
export class VolumeSnapshotUnconfirmedError extends StepFailedError {
  constructor(
    readonly volumeId: string,
    readonly snapshotName: string,
    readonly attempts: number,
  ) {
    super(`no reply to ${attempts} requests for snapshot ${snapshotName} of volume ${volumeId}, and it is not listed`);
  }
}
