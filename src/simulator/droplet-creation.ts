import { dropletSize } from '../digitalocean/sizes.js';
import type { SimulatorConfig } from './config.js';
import type { SimAction, SimDroplet } from './model.js';
import type { World } from './world.js';

/**
 * `POST /v2/droplets` for one droplet made from a droplet snapshot, as DigitalOcean answers it (ARCHITECTURE.md):
 * what it refuses, with which words, and what it schedules when it accepts.
 */

const FIRST_CREATED_ID = 600_000_001;
const NAME = /^[a-zA-Z0-9]?[a-z0-9A-Z.-]*[a-z0-9A-Z]$/;
const TAG = /^[a-zA-Z0-9_:-]{1,255}$/;

export type CreateRefusal = { status: 400 | 422; id: string; message: string };

const invalid = (message: string): CreateRefusal => ({ status: 422, id: 'unprocessable_entity', message });
export const INVALID_IMAGE = 'You specified an invalid image for Droplet creation.';
export const INVALID_SIZE = 'You specified an invalid size for Droplet creation.';
/** DigitalOcean's answer to a region the snapshot is not in: generic, like a capacity error (ARCHITECTURE.md). */
export const REGION_UNAVAILABLE =
  'Sorry, we were unable to create your Droplet in this region. Please try again later or select a different region.';

export interface CreateRequest {
  name: string;
  size: string;
  image: number;
  region: string | undefined;
  tags: string[];
}

/** The body's fields, checked as DigitalOcean's validation would; a snapshot's own rules come later. */
export function parseCreateBody(body: string): CreateRequest | CreateRefusal {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { status: 400, id: 'bad_request', message: 'error parsing request body' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return { status: 400, id: 'bad_request', message: 'error parsing request body' };
  const { name, size, image, region, tags } = parsed as Record<string, unknown>;
  if (typeof name !== 'string' || name.length > 255 || !NAME.test(name))
    return invalid('request payload validation failed: name must match ^[a-zA-Z0-9]?[a-z0-9A-Z.\\-]*[a-z0-9A-Z]$');
  if (typeof size !== 'string' || size === '') return invalid('request payload validation failed: size is required');
  if (image === undefined) return invalid('request payload validation failed: image is required');
  // `image` is an id or a public image's slug; only a numeric id can name a snapshot
  const imageId = typeof image === 'number' ? image : typeof image === 'string' && /^\d+$/.test(image) ? +image : NaN;
  if (!Number.isSafeInteger(imageId)) return invalid(INVALID_IMAGE);
  if (region !== undefined && (typeof region !== 'string' || region === ''))
    return invalid('request payload validation failed: region must be a string');
  if (tags !== undefined && !(Array.isArray(tags) && tags.every((t) => typeof t === 'string' && TAG.test(t))))
    return invalid('request payload validation failed: tags must be an array of tag names');
  return { name, size, image: imageId, region: region as string | undefined, tags: [...((tags as string[]) ?? [])] };
}

function nextDropletId(world: World): number {
  return Math.max(FIRST_CREATED_ID, ...[...world.droplets.keys(), ...world.goneDroplets.keys()].map((id) => id + 1));
}

/**
 * Creates the droplet and its `create` action, or says why not. The droplet is `new` and locked until the action
 * completes, found by `GET` only after `createdDropletNotFoundMs`; the action may be decided errored by a fault.
 */
export function createDroplet(
  world: World,
  request: CreateRequest,
  now: number,
  postedBy: string,
  config: SimulatorConfig,
  endsErrored: () => boolean,
): { droplet: SimDroplet; action: SimAction } | CreateRefusal {
  const size = dropletSize(request.size);
  if (!size) return invalid(INVALID_SIZE);
  const image = world.imageById(request.image, now);
  if (!image || image.kind !== 'snapshot') return invalid(INVALID_IMAGE);
  const region = request.region ?? image.regions[0] ?? 'nyc3';
  if (!image.regions.includes(region)) return invalid(REGION_UNAVAILABLE);
  if (size.diskGigabytes < image.minDiskSize)
    return invalid(
      `The size ${size.slug} (${size.diskGigabytes} GB disk) is too small for this image, which needs ` +
        `${image.minDiskSize} GB.`,
    );
  const id = nextDropletId(world);
  const completesAt = now + config.dropletCreateMs;
  const action = world.addCreatedDroplet(
    {
      id,
      name: request.name,
      initialStatus: 'active',
      tags: [...new Set(request.tags)],
      disk: size.diskGigabytes,
      region,
      sizeSlug: size.slug,
      createdAt: now,
    },
    { imageId: image.id, createdBy: postedBy, gettableAt: now + config.createdDropletNotFoundMs },
    {
      type: 'create',
      startedAt: now,
      completesAt,
      outcome: endsErrored() ? 'errored' : 'completed',
      unlockAt: completesAt + config.unlockLagMs,
      postedBy,
    },
  );
  const droplet = world.droplets.get(id);
  if (!droplet) throw new Error('simulator: a created droplet vanished');
  return { droplet, action };
}

/** `DELETE /v2/droplets/{id}`: false for an unknown or already deleted droplet (404). */
export function deleteDroplet(world: World, id: number, now: number, deletedBy: string, lingerMs: number): boolean {
  const droplet = world.droplets.get(id);
  if (!droplet || droplet.deletion) return false;
  droplet.deletion = { at: now, by: deletedBy, goneAt: now + lingerMs };
  return true;
}
