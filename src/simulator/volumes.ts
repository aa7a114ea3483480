import type { VolumeSeed } from './config.js';

/** A block-storage volume; `dropletId` null when detached. */
export interface SimVolume {
  id: string;
  name: string;
  region: string;
  sizeGigabytes: number;
  dropletId: number | null;
  createdAt: number;
}

/** Volume snapshots are synchronous: they exist from their POST on, with no action and no listing lag. */
export interface SimVolumeSnapshot {
  id: string;
  volumeId: string;
  name: string;
  createdAt: number;
  sizeGigabytes: number;
  minDiskSize: number;
  regions: string[];
  deletedAt: number | null;
  /** Marker of the token whose POST made it; null for seeded ones. */
  createdBy: string | null;
  deletedBy: string | null;
}

/** Why a volume snapshot cannot be made, as DigitalOcean (or, for the undocumented limits, the config) says it. */
export type VolumeSnapshotRefusal = { status: number; id: string; message: string };

export interface VolumeLimits {
  perVolume: number;
  intervalMs: number;
  status: number;
}

const DAY_MS = 86_400_000;

/** A UUID-shaped id from a counter, so a seeded run is replayable (DigitalOcean's ids are random UUIDs). */
function counterUuid(prefix: string, n: number): string {
  return `${prefix}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** Volumes and their snapshots, deleted snapshots kept for the state view. */
export class VolumeStore {
  readonly volumes = new Map<string, SimVolume>();
  readonly snapshots = new Map<string, SimVolumeSnapshot>();
  private nextVolume = 1;
  private nextSnapshot = 1;

  addVolume(seed: VolumeSeed, dropletId: number | null, region: string, now: number): SimVolume {
    const id = seed.id ?? counterUuid('7f3a1c00', this.nextVolume++);
    if (this.volumes.has(id)) throw new Error(`simulator: volume ${id} exists already`);
    const volume: SimVolume = {
      id,
      name: seed.name ?? `volume-${region}-${this.volumes.size + 1}`,
      region,
      sizeGigabytes: seed.sizeGigabytes ?? 10,
      dropletId,
      createdAt: now - 30 * DAY_MS,
    };
    this.volumes.set(id, volume);
    for (const snapshot of seed.snapshots ?? []) {
      this.store(
        volume,
        snapshot.name,
        snapshot.createdAt ? Date.parse(snapshot.createdAt) : now - DAY_MS,
        null,
        snapshot.id,
      );
    }
    return volume;
  }

  attachedTo(dropletId: number): SimVolume[] {
    return [...this.volumes.values()].filter((v) => v.dropletId === dropletId);
  }

  /** The volume's snapshots that exist now, oldest first. */
  liveSnapshots(filter: (s: SimVolumeSnapshot) => boolean = () => true): SimVolumeSnapshot[] {
    return [...this.snapshots.values()]
      .filter((s) => s.deletedAt === null && filter(s))
      .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  /** 404 unknown volume, 409 a name the volume has, then DigitalOcean's two per-volume limits. */
  create(
    volumeId: string,
    name: string,
    now: number,
    createdBy: string,
    limits: VolumeLimits,
  ): SimVolumeSnapshot | VolumeSnapshotRefusal {
    const volume = this.volumes.get(volumeId);
    if (!volume) return { status: 404, id: 'not_found', message: 'The resource you requested could not be found.' };
    const own = this.liveSnapshots((s) => s.volumeId === volumeId);
    if (own.some((s) => s.name === name))
      return { status: 409, id: 'conflict', message: `a snapshot with name ${name} already exists` };
    if (own.length >= limits.perVolume) {
      return {
        status: limits.status,
        id: 'unprocessable_entity',
        message: `volume ${volumeId} has reached the limit of ${limits.perVolume} snapshots`,
      };
    }
    // deleted snapshots count too: the limit is on taking them, not on keeping them
    const recent = [...this.snapshots.values()].some(
      (s) => s.volumeId === volumeId && s.createdBy !== null && now - s.createdAt < limits.intervalMs,
    );
    if (recent) {
      return {
        status: limits.status,
        id: 'unprocessable_entity',
        message: `volume ${volumeId} allows one snapshot every ${Math.round(limits.intervalMs / 60_000)} minutes`,
      };
    }
    return this.store(volume, name, now, createdBy);
  }

  private store(
    volume: SimVolume,
    name: string,
    createdAt: number,
    createdBy: string | null,
    id?: string,
  ): SimVolumeSnapshot {
    const snapshotId = id ?? counterUuid('5e1d0b00', this.nextSnapshot++);
    if (this.snapshots.has(snapshotId)) throw new Error(`simulator: volume snapshot ${snapshotId} exists already`);
    const snapshot: SimVolumeSnapshot = {
      id: snapshotId,
      volumeId: volume.id,
      name,
      createdAt,
      sizeGigabytes: Math.round(volume.sizeGigabytes * 10) / 100,
      minDiskSize: volume.sizeGigabytes,
      regions: [volume.region],
      deletedAt: null,
      createdBy,
      deletedBy: null,
    };
    this.snapshots.set(snapshot.id, snapshot);
    return snapshot;
  }

  live(id: string): SimVolumeSnapshot | undefined {
    const snapshot = this.snapshots.get(id);
    return snapshot && snapshot.deletedAt === null ? snapshot : undefined;
  }

  delete(snapshot: SimVolumeSnapshot, now: number, deletedBy: string): void {
    snapshot.deletedAt = now;
    snapshot.deletedBy = deletedBy;
  }
}
