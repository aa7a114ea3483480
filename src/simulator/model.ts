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
  /** Set for a droplet made by `POST /v2/droplets`; seeded droplets have none. */
  creation?: DropletCreation;
  /** Set by `DELETE /v2/droplets/{id}`. */
  deletion?: DropletDeletion;
}

/** How a created droplet came to be, with the instants its visibility changes (droplet-creation.ts). */
export interface DropletCreation {
  /** The snapshot it was made from. */
  imageId: number;
  actionId: number;
  /** Marker of the token whose POST made it. */
  createdBy: string;
  /** Until then `GET /v2/droplets/{id}` answers 404, as DigitalOcean sometimes does right after a create. */
  gettableAt: number;
}

export interface DropletDeletion {
  at: number;
  by: string;
  /** Until then it is still listed and found by id (ARCHITECTURE.md); then it is gone. */
  goneAt: number;
}

export interface SimAction {
  id: number;
  dropletId: number;
  /** `create` is the action of a droplet create; the others are posted on a droplet. */
  type: DropletActionType | 'create';
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
