import type { DropletActionType } from '../digitalocean/types.js';

/**
 * The simulator's records. Every time an action's consequences become visible is fixed when the action is created,
 * so the state at any instant is a pure function of the clock (and a test can drive that clock).
 */

export interface SimDroplet {
  id: number;
  name: string;
  /** Status before any action; later power actions override it from their `statusAt`. */
  initialStatus: 'active' | 'off';
  tags: string[];
  disk: number;
  region: string;
  sizeSlug: string;
  createdAt: number;
}

export interface SimAction {
  id: number;
  dropletId: number;
  type: DropletActionType;
  startedAt: number;
  completesAt: number;
  outcome: 'completed' | 'errored';
  /** When the droplet's lock is released. */
  unlockAt: number;
  /** The status the droplet takes at `statusAt`, if this action changes it. */
  setsStatus?: 'active' | 'off';
  statusAt?: number;
  /** Which configured token posted it (a marker, never the token). */
  postedBy: string;
  snapshotName?: string;
  snapshotId?: number;
}

export interface SimImage {
  id: number;
  dropletId: number;
  kind: 'snapshot' | 'backup';
  name: string;
  /** For a snapshot made by an action: the action's start. */
  createdAt: number;
  /** From then on GET and DELETE by id find it. */
  completedAt: number;
  /** From then on it is in listings and the droplet's snapshot_ids. */
  listedAt: number;
  deletedAt: number | null;
  /** Until then a deleted image still shows in listings. */
  delistAt: number | null;
  sizeGigabytes: number;
  minDiskSize: number;
  regions: string[];
  createdByActionId: number | null;
  createdBy: string | null;
  deletedBy: string | null;
}

/** Epoch ms to DigitalOcean's ISO 8601 with seconds precision, e.g. `2020-11-14T16:29:21Z`. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
