import type { Action, Snapshot, Volume } from '../digitalocean/types.js';
import type { SimImageAction } from './image-actions.js';
import { isoSeconds } from './model.js';
import { regionObject } from './regions.js';
import type { SimVolume, SimVolumeSnapshot } from './volumes.js';
import type { World } from './world.js';

/** The JSON DigitalOcean sends for volumes, volume snapshots and image actions. */

export function volumeView(volume: SimVolume): Volume {
  return {
    id: volume.id,
    name: volume.name,
    region: regionObject(volume.region),
    droplet_ids: volume.dropletId === null ? [] : [volume.dropletId],
    size_gigabytes: volume.sizeGigabytes,
    created_at: isoSeconds(volume.createdAt),
    description: '',
    filesystem_type: 'ext4',
    filesystem_label: '',
    tags: [],
  };
}

/** The `/v2/snapshots` shape with UUIDs: id and resource_id (the volume). */
export function volumeSnapshotView(snapshot: SimVolumeSnapshot): Snapshot {
  return {
    id: snapshot.id,
    name: snapshot.name,
    created_at: isoSeconds(snapshot.createdAt),
    regions: [...snapshot.regions],
    min_disk_size: snapshot.minDiskSize,
    size_gigabytes: snapshot.sizeGigabytes,
    resource_id: snapshot.volumeId,
    resource_type: 'volume',
    tags: null,
  };
}

export function imageActionView(world: World, action: SimImageAction, now: number): Action {
  const done = now >= action.completesAt;
  const image = world.images.get(action.imageId);
  const region = action.region ?? image?.regions[0] ?? 'nyc3';
  return {
    id: action.id,
    status: done ? action.outcome : 'in-progress',
    type: action.type,
    started_at: isoSeconds(action.startedAt),
    completed_at: done ? isoSeconds(action.completesAt) : null,
    resource_id: action.imageId,
    resource_type: 'image',
    region: regionObject(region),
    region_slug: region,
  };
}
