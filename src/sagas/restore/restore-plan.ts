import { DROPLET_SIZES, dropletSize, smallestSizeFor, type DropletSize } from '../../digitalocean/sizes.js';
import type { Snapshot } from '../../digitalocean/types.js';
import {
  RegionNotInSnapshotError,
  SizeTooSmallError,
  UnknownSizeError,
  VolumeSnapshotGivenError,
} from './plan-errors.js';

export interface RestoreRequest {
  /** `--region`; default the snapshot's first region. */
  region?: string;
  /** `--size`; default the cheapest size whose disk fits the snapshot. */
  sizeSlug?: string;
}

export interface RestorePlan {
  snapshotId: string;
  region: string;
  size: DropletSize;
  /** The snapshot's `min_disk_size`: the smallest disk that can restore it. */
  minDiskGigabytes: number;
}

/** Refuses a size slug arcadia does not know before anything is asked of DigitalOcean. */
export function knownSize(sizeSlug: string): DropletSize {
  const size = dropletSize(sizeSlug);
  if (!size)
    throw new UnknownSizeError(
      sizeSlug,
      DROPLET_SIZES.map((s) => s.slug),
    );
  return size;
}

/**
 * Where and how big the restored droplet is, or why DigitalOcean would refuse it (ARCHITECTURE.md): the region must
 * be one of the snapshot's, the size's disk at least its `min_disk_size`. Decided before any saga exists.
 */
export function planRestore(snapshot: Snapshot, request: RestoreRequest): RestorePlan {
  if (snapshot.resource_type !== 'droplet') throw new VolumeSnapshotGivenError(snapshot.id);
  const region = request.region ?? snapshot.regions[0];
  if (region === undefined || !snapshot.regions.includes(region))
    throw new RegionNotInSnapshotError(snapshot.id, request.region ?? 'any region', snapshot.regions);
  const minDisk = snapshot.min_disk_size;
  const size = request.sizeSlug !== undefined ? knownSize(request.sizeSlug) : smallestSizeFor(minDisk);
  if (!size) {
    const largest = DROPLET_SIZES.reduce((a, b) => (b.diskGigabytes > a.diskGigabytes ? b : a));
    throw new SizeTooSmallError(snapshot.id, largest.slug, largest.diskGigabytes, minDisk);
  }
  if (size.diskGigabytes < minDisk) throw new SizeTooSmallError(snapshot.id, size.slug, size.diskGigabytes, minDisk);
  return { snapshotId: snapshot.id, region, size, minDiskGigabytes: minDisk };
}
