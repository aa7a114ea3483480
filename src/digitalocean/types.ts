/**
 * The DigitalOcean API v2 shapes arcadia reads, as the official OpenAPI spec documents them. Only the fields that
 * matter here are required; the API sends more.
 */

export type ActionStatus = 'in-progress' | 'completed' | 'errored';

/** The droplet actions arcadia posts. */
export type DropletActionType = 'snapshot' | 'shutdown' | 'power_off' | 'power_on';

export type DropletActionRequest = { type: 'snapshot'; name: string } | { type: 'shutdown' | 'power_off' | 'power_on' };

/** The image actions arcadia posts: `transfer` copies a snapshot to a region, `convert` makes a backup a snapshot. */
export type ImageActionType = 'transfer' | 'convert';

export type ImageActionRequest = { type: 'transfer'; region: string } | { type: 'convert' };

/** The body of `POST /v2/volumes/{id}/snapshots`: a name unique per volume. */
export interface VolumeSnapshotRequest {
  name: string;
}

/**
 * The body of `POST /v2/droplets` for one droplet made from a droplet snapshot (ARCHITECTURE.md): `image` is the
 * snapshot's numeric id, `region` one of the snapshot's regions, `size` a slug whose disk fits its `min_disk_size`.
 */
export interface DropletCreateRequest {
  name: string;
  region: string;
  size: string;
  image: number;
  tags: string[];
}

/** Any body arcadia POSTs. */
export type PostBody = DropletActionRequest | ImageActionRequest | VolumeSnapshotRequest | DropletCreateRequest;

/** What a POST was for, named in an OutcomeUnknownError. */
export type PostedWrite = DropletActionType | ImageActionType | 'volume_snapshot' | 'droplet_create';

export function postedWrite(body: PostBody): PostedWrite {
  if ('type' in body) return body.type;
  return 'image' in body ? 'droplet_create' : 'volume_snapshot';
}

/** The reply to `POST /v2/droplets` (202): the new droplet, `new`, and the id of its `create` action. */
export interface CreatedDroplet {
  droplet: Droplet;
  /** From `links.actions` (rel `create`); undefined when the reply names none. */
  actionId: number | undefined;
}

/** A block-storage volume as `/v2/volumes` lists it; at most one droplet holds it. */
export interface Volume {
  id: string;
  name: string;
  region: Region;
  droplet_ids: number[] | null;
  size_gigabytes: number;
  created_at: string;
  description?: string;
  filesystem_type?: string;
  filesystem_label?: string;
  tags?: string[] | null;
}

export interface Region {
  name: string;
  slug: string;
  features: string[];
  available: boolean;
  sizes: string[];
}

export interface Action {
  /** The action id; never the id of the snapshot a snapshot action makes. */
  id: number;
  status: ActionStatus;
  type: string;
  started_at: string;
  /** null while in progress. */
  completed_at: string | null;
  /** For a droplet action: the droplet id. */
  resource_id: number | null;
  resource_type: string;
  region?: Region | null;
  region_slug: string | null;
}

export type DropletStatus = 'new' | 'active' | 'off' | 'archive';

export interface Droplet {
  id: number;
  name: string;
  memory: number;
  vcpus: number;
  /** Disk size in GB. */
  disk: number;
  /** True while an action runs, and for a while after some (snapshots) complete. */
  locked: boolean;
  status: DropletStatus;
  created_at: string;
  snapshot_ids: number[];
  backup_ids: number[];
  tags: string[];
  region: Region;
  size_slug: string;
  /** UUIDs of the attached volumes. */
  volume_ids?: string[];
  /** When the next backup may run; null with backups off. */
  next_backup_window?: { start: string; end: string } | null;
  features?: string[];
}

/** A snapshot or backup as `/v2/droplets/{id}/snapshots` lists it: integer id, no resource fields. */
export interface DropletSnapshot {
  id: number;
  name: string;
  created_at: string;
  regions: string[];
  min_disk_size: number;
  size_gigabytes: number;
  type: 'snapshot' | 'backup';
}

/** A snapshot as `/v2/snapshots` shows it: the id and resource_id are strings. Compare ids as strings. */
export interface Snapshot {
  id: string;
  name: string;
  created_at: string;
  regions: string[];
  min_disk_size: number;
  size_gigabytes: number;
  resource_id: string;
  resource_type: 'droplet' | 'volume';
  tags: string[] | null;
}

export interface Account {
  droplet_limit: number;
  floating_ip_limit: number;
  email: string;
  uuid: string;
  email_verified: boolean;
  status: string;
  status_message: string;
  name?: string;
  team?: { uuid: string; name: string };
}

/** Absolute URLs; only the ones that apply are present, and the whole object may be missing or empty. */
export interface PageLinks {
  first?: string;
  prev?: string;
  next?: string;
  last?: string;
}

export interface Links {
  pages?: PageLinks;
}

export interface Meta {
  /** Objects across all pages. */
  total: number;
}

/** The rate-limit headers of the latest response. */
export interface RateLimit {
  /** The hourly limit (`ratelimit-limit`). */
  limit: number;
  /** Requests left in the hourly window (`ratelimit-remaining`); reads 0 on a per-minute 429 too. */
  remaining: number;
  /** Epoch ms at which the oldest counted request stops counting (`ratelimit-reset`, sent in seconds). */
  resetAt: number;
}
