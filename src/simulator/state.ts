import type { Action, Droplet } from '../digitalocean/types.js';
import { isoSeconds, type SimDroplet, type SimImage } from './model.js';
import type { RequestLogEntry, SimulatorCounters } from './request-log.js';
import { actionView, dropletView } from './views.js';
import type { World } from './world.js';

/** A snapshot or backup with its whole history, deleted ones included. */
export interface ImageRecord {
  id: number;
  name: string;
  dropletId: number;
  createdAt: string;
  /** When GET by id started finding it. */
  completedAt: string;
  /** When it appeared (or will appear) in listings. */
  listedAt: string;
  /** Whether listings show it right now. */
  listed: boolean;
  deletedAt: string | null;
  deletedBy: string | null;
  /** The snapshot action that made it; null for seeded images. */
  createdByActionId: number | null;
  /** Marker of the token whose POST made it. */
  createdBy: string | null;
  sizeGigabytes: number;
}

export type ActionRecord = Action & { postedBy: string; snapshotName: string | null; snapshotId: number | null };

/** A volume snapshot with its history: deleted ones stay, with who deleted them. */
export interface VolumeSnapshotRecord {
  id: string;
  volumeId: string;
  name: string;
  createdAt: string;
  deletedAt: string | null;
  createdBy: string | null;
  deletedBy: string | null;
}

export interface ImageActionRecord {
  id: number;
  imageId: number;
  type: string;
  region: string | null;
  status: 'in-progress' | 'completed' | 'errored';
  startedAt: string;
  postedBy: string;
}

/** Every droplet the simulator has known, seeded or created, with who made and deleted it. */
export interface DropletRecord {
  id: number;
  name: string;
  tags: string[];
  region: string;
  sizeSlug: string;
  createdAt: string;
  /** Marker of the token whose `POST /v2/droplets` made it; null for a seeded droplet. */
  createdBy: string | null;
  /** The snapshot it was made from; null for a seeded droplet. */
  imageId: number | null;
  createActionId: number | null;
  deletedAt: string | null;
  deletedBy: string | null;
  /** Still listed and found by id (false once a deleted droplet's linger has passed). */
  listed: boolean;
}

export interface SimulatorState {
  now: string;
  nowMs: number;
  droplets: Droplet[];
  /** Every droplet ever, deleted ones included (`droplets` is what a listing shows now). */
  dropletHistory: DropletRecord[];
  actions: ActionRecord[];
  /** Every snapshot that has come into existence (in-progress ones are in `actions`), deleted ones included. */
  snapshots: ImageRecord[];
  backups: ImageRecord[];
  /** Snapshots' regions as of now (they grow as transfers complete). */
  snapshotRegions: Record<string, string[]>;
  volumes: { id: string; name: string; dropletId: number | null; region: string }[];
  volumeSnapshots: VolumeSnapshotRecord[];
  imageActions: ImageActionRecord[];
  requests: RequestLogEntry[];
  counters: SimulatorCounters & { actionsCreated: number; snapshotsDeleted: number };
}

function dropletRecord(droplet: SimDroplet, listed: boolean): DropletRecord {
  return {
    id: droplet.id,
    name: droplet.name,
    tags: [...droplet.tags],
    region: droplet.region,
    sizeSlug: droplet.sizeSlug,
    createdAt: new Date(droplet.createdAt).toISOString(),
    createdBy: droplet.creation?.createdBy ?? null,
    imageId: droplet.creation?.imageId ?? null,
    createActionId: droplet.creation?.actionId ?? null,
    deletedAt: droplet.deletion ? new Date(droplet.deletion.at).toISOString() : null,
    deletedBy: droplet.deletion?.by ?? null,
    listed,
  };
}

function imageRecord(world: World, image: SimImage, now: number): ImageRecord {
  return {
    id: image.id,
    name: image.name,
    dropletId: image.dropletId,
    createdAt: isoSeconds(image.createdAt),
    completedAt: new Date(image.completedAt).toISOString(),
    listedAt: new Date(image.listedAt).toISOString(),
    listed: world.isListed(image, now),
    deletedAt: image.deletedAt === null ? null : new Date(image.deletedAt).toISOString(),
    deletedBy: image.deletedBy,
    createdByActionId: image.createdByActionId,
    createdBy: image.createdBy,
    sizeGigabytes: image.sizeGigabytes,
  };
}

/** A JSON-safe copy of everything, as of `now`. */
export function buildState(
  world: World,
  now: number,
  requests: readonly RequestLogEntry[],
  counters: SimulatorCounters,
): SimulatorState {
  world.settle(now);
  const existing = [...world.images.values()].filter((i) => now >= i.completedAt).sort((a, b) => a.id - b.id);
  const snapshots = existing.filter((i) => i.kind === 'snapshot');
  return {
    now: new Date(now).toISOString(),
    nowMs: now,
    droplets: [...world.droplets.values()].sort((a, b) => a.id - b.id).map((d) => dropletView(world, d, now)),
    dropletHistory: [
      ...[...world.droplets.values()].map((d) => dropletRecord(d, true)),
      ...[...world.goneDroplets.values()].map((d) => dropletRecord(d, false)),
    ].sort((a, b) => a.id - b.id),
    actions: [...world.actions.values()].map((a) => ({
      ...actionView(world, a, now),
      postedBy: a.postedBy,
      snapshotName: a.snapshotName ?? null,
      snapshotId: now >= a.completesAt ? (a.snapshotId ?? null) : null,
    })),
    snapshots: snapshots.map((i) => imageRecord(world, i, now)),
    backups: existing.filter((i) => i.kind === 'backup').map((i) => imageRecord(world, i, now)),
    snapshotRegions: Object.fromEntries(snapshots.map((i) => [String(i.id), [...i.regions]])),
    volumes: [...world.volumes.volumes.values()].map((v) => ({
      id: v.id,
      name: v.name,
      dropletId: v.dropletId,
      region: v.region,
    })),
    volumeSnapshots: [...world.volumes.snapshots.values()].map((s) => ({
      id: s.id,
      volumeId: s.volumeId,
      name: s.name,
      createdAt: new Date(s.createdAt).toISOString(),
      deletedAt: s.deletedAt === null ? null : new Date(s.deletedAt).toISOString(),
      createdBy: s.createdBy,
      deletedBy: s.deletedBy,
    })),
    imageActions: [...world.imageActions.values()].map((a) => ({
      id: a.id,
      imageId: a.imageId,
      type: a.type,
      region: a.region,
      status: now >= a.completesAt ? a.outcome : 'in-progress',
      startedAt: new Date(a.startedAt).toISOString(),
      postedBy: a.postedBy,
    })),
    requests: requests.map((r) => structuredClone(r)),
    counters: {
      ...structuredClone(counters),
      actionsCreated: world.actions.size,
      snapshotsDeleted: snapshots.filter((i) => i.deletedAt !== null).length,
    },
  };
}
