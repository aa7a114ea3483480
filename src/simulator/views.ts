import type { Account, Action, Droplet, DropletSnapshot, Snapshot } from '../digitalocean/types.js';
import { isoSeconds, type SimAction, type SimDroplet, type SimImage } from './model.js';
import { regionObject } from './regions.js';
import type { World } from './world.js';

/** The JSON DigitalOcean sends for each resource, from the simulator's records at instant `now`. */

const SIZES: Record<string, { memory: number; vcpus: number }> = {
  's-1vcpu-1gb': { memory: 1024, vcpus: 1 },
  's-1vcpu-2gb': { memory: 2048, vcpus: 1 },
  's-2vcpu-2gb': { memory: 2048, vcpus: 2 },
  's-2vcpu-4gb': { memory: 4096, vcpus: 2 },
  's-4vcpu-8gb': { memory: 8192, vcpus: 4 },
  's-8vcpu-16gb': { memory: 16384, vcpus: 8 },
};

export function actionView(world: World, action: SimAction, now: number): Action {
  const status = world.actionStatus(action, now);
  const region = world.droplets.get(action.dropletId)?.region ?? 'nyc3';
  return {
    id: action.id,
    status,
    type: action.type,
    started_at: isoSeconds(action.startedAt),
    completed_at: status === 'in-progress' ? null : isoSeconds(action.completesAt),
    resource_id: action.dropletId,
    resource_type: 'droplet',
    region: regionObject(region),
    region_slug: region,
  };
}

export function dropletView(world: World, droplet: SimDroplet, now: number): Droplet & Record<string, unknown> {
  const listed = world.listedImages(now, (image) => image.dropletId === droplet.id);
  const size = SIZES[droplet.sizeSlug] ?? { memory: 1024, vcpus: 1 };
  return {
    id: droplet.id,
    name: droplet.name,
    memory: size.memory,
    vcpus: size.vcpus,
    disk: droplet.disk,
    disk_info: [{ type: 'local', size: { amount: droplet.disk, unit: 'gib' } }],
    locked: world.locked(droplet, now),
    status: world.status(droplet, now),
    kernel: null,
    created_at: isoSeconds(droplet.createdAt),
    features: ['backups', 'ipv6'],
    backup_ids: listed.filter((i) => i.kind === 'backup').map((i) => i.id),
    next_backup_window: null,
    snapshot_ids: listed.filter((i) => i.kind === 'snapshot').map((i) => i.id),
    image: { id: 63663980, name: '24.04 (LTS) x64', distribution: 'Ubuntu', slug: 'ubuntu-24-04-x64', public: true },
    volume_ids: world.volumes.attachedTo(droplet.id).map((v) => v.id),
    size: { slug: droplet.sizeSlug, memory: size.memory, vcpus: size.vcpus, disk: droplet.disk },
    size_slug: droplet.sizeSlug,
    networks: { v4: [], v6: [] },
    region: regionObject(droplet.region),
    tags: [...droplet.tags],
    vpc_uuid: '760e09ef-dc84-11e8-981e-3cfdfeaae000',
  };
}

/** As `/v2/droplets/{id}/snapshots` lists it: integer id, a type, no resource fields. */
export function dropletSnapshotView(image: SimImage): DropletSnapshot {
  return {
    id: image.id,
    name: image.name,
    type: image.kind,
    created_at: isoSeconds(image.createdAt),
    regions: [...image.regions],
    min_disk_size: image.minDiskSize,
    size_gigabytes: image.sizeGigabytes,
  };
}

/** As `/v2/snapshots` shows it: string id and resource_id. Tags vary between null and [] as they do upstream. */
export function snapshotView(image: SimImage): Snapshot {
  return {
    id: String(image.id),
    name: image.name,
    created_at: isoSeconds(image.createdAt),
    regions: [...image.regions],
    min_disk_size: image.minDiskSize,
    size_gigabytes: image.sizeGigabytes,
    resource_id: String(image.dropletId),
    resource_type: 'droplet',
    tags: image.id % 2 === 0 ? [] : null,
  };
}

export function accountView(world: World): Account {
  return {
    droplet_limit: Math.max(25, world.droplets.size),
    floating_ip_limit: 3,
    email: 'simulator@example.com',
    name: 'arcadia simulator',
    uuid: 'b6fr89dbf6d9156cace5f3c78dc9851d957381ef',
    email_verified: true,
    status: 'active',
    status_message: '',
    team: { uuid: '5df3e3004a17e242b7c20ca6c9fc25b701a47ece', name: 'arcadia simulator' },
  };
}
