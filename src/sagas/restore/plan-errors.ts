import { ArcadiaError } from '../../errors.js';

/**
 * Input `arcadia restore` (or a drill) refuses before any saga exists, in words that say what to give instead.
 * Mapped to exit 2 (bad input, nothing changed) in src/cli/exit-codes.ts.
 */
export abstract class RestoreRefusedError extends ArcadiaError {}

export class UnknownSnapshotError extends RestoreRefusedError {
  readonly code = 'unknown_snapshot';
  constructor(readonly snapshotId: string) {
    super(
      `no snapshot ${snapshotId}: DigitalOcean does not know it ` +
        '(doctl compute snapshot list --resource droplet lists them)',
    );
  }
}

export class VolumeSnapshotGivenError extends RestoreRefusedError {
  readonly code = 'volume_snapshot';
  constructor(readonly snapshotId: string) {
    super(`${snapshotId} is a volume snapshot: a droplet is restored from a droplet snapshot (a numeric id)`);
  }
}

/** A backup or another image that `GET /v2/snapshots/{id}` says is not a snapshot (400). */
export class NotASnapshotError extends RestoreRefusedError {
  readonly code = 'not_a_snapshot';
  constructor(
    readonly snapshotId: string,
    providerMessage: string,
  ) {
    super(`${snapshotId} is not a droplet snapshot (DigitalOcean: ${providerMessage})`);
  }
}

export class RegionNotInSnapshotError extends RestoreRefusedError {
  readonly code = 'region_not_in_snapshot';
  constructor(
    readonly snapshotId: string,
    readonly region: string,
    readonly regions: readonly string[],
  ) {
    super(
      `snapshot ${snapshotId} is not in ${region}; it is in ${regions.join(', ') || 'no region'} ` +
        '(copy it first: arcadia snapshot --copy-to, or give one of those with --region)',
    );
  }
}

export class UnknownSizeError extends RestoreRefusedError {
  readonly code = 'unknown_size';
  constructor(
    readonly sizeSlug: string,
    known: readonly string[],
  ) {
    super(`--size ${JSON.stringify(sizeSlug.slice(0, 40))} is not a droplet size arcadia knows: ${known.join(', ')}`);
  }
}

export class SizeTooSmallError extends RestoreRefusedError {
  readonly code = 'size_too_small';
  constructor(
    readonly snapshotId: string,
    readonly sizeSlug: string,
    readonly diskGigabytes: number,
    readonly minDiskGigabytes: number,
  ) {
    super(
      `size ${sizeSlug} has a ${diskGigabytes} GB disk, smaller than the ${minDiskGigabytes} GB snapshot ` +
        `${snapshotId} needs (its min_disk_size); leave --size out for the smallest that fits`,
    );
  }
}
