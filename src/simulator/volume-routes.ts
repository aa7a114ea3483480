import type { ImageActionType } from '../digitalocean/types.js';
import { isKnownRegion } from './regions.js';
import type { Handler, Reply, RequestContext } from './routes.js';
import { errorReply, listReply, NOT_FOUND } from './routes.js';
import { imageActionView, volumeSnapshotView, volumeView } from './volume-views.js';

/** Volumes, volume snapshots and image actions (ARCHITECTURE.md). */

const BAD_BODY = (): Reply => errorReply(400, 'bad_request', 'error parsing request body');
const UUID = '([0-9a-fA-F-]{36})';

function jsonObject(body: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function postVolumeSnapshot(ctx: RequestContext, volumeId: string): Reply {
  if (!ctx.world.volumes.volumes.has(volumeId)) return NOT_FOUND();
  const body = jsonObject(ctx.body);
  if (!body || typeof body.name !== 'string' || body.name === '') return BAD_BODY();
  const config = ctx.config;
  const limits = {
    perVolume: config.volumeSnapshotsPerVolume,
    intervalMs: config.volumeSnapshotIntervalMs,
    status: config.volumeLimitStatus,
  };
  const created = ctx.world.volumes.create(volumeId, body.name, ctx.now, ctx.actor, limits);
  if ('message' in created) return errorReply(created.status, created.id, created.message);
  return { status: 201, json: { snapshot: volumeSnapshotView(created) }, tookEffect: 'action' };
}

function postImageAction(ctx: RequestContext, rawId: string): Reply {
  const image = ctx.world.imageById(Number(rawId), ctx.now);
  if (!image) return NOT_FOUND();
  const body = jsonObject(ctx.body);
  if (!body) return BAD_BODY();
  const type = body.type;
  if (type !== 'transfer' && type !== 'convert')
    return errorReply(
      422,
      'unprocessable_entity',
      'request payload validation failed: type must be transfer or convert',
    );
  let region: string | null = null;
  if (type === 'transfer') {
    if (typeof body.region !== 'string' || body.region === '')
      return errorReply(422, 'unprocessable_entity', 'request payload validation failed: region is required');
    if (!isKnownRegion(body.region))
      return errorReply(422, 'unprocessable_entity', `${body.region} is not a valid region`);
    region = body.region;
  }
  if (type === 'convert' && image.kind === 'snapshot')
    return errorReply(422, 'unprocessable_entity', 'the image is already a snapshot');
  const action = ctx.world.createImageAction(
    image,
    { type: type as ImageActionType, region },
    ctx.now,
    ctx.actor,
    ctx.endsErrored,
  );
  return { status: 201, json: { action: imageActionView(ctx.world, action, ctx.now) }, tookEffect: 'action' };
}

/** A volume snapshot by UUID through `/v2/snapshots/{uuid}` or `/v2/volumes/snapshots/{id}`. */
export function volumeSnapshotById(ctx: RequestContext, id: string, method: 'GET' | 'DELETE'): Reply {
  const snapshot = ctx.world.volumes.live(id.toLowerCase());
  if (!snapshot) return NOT_FOUND();
  if (method === 'GET') return { status: 200, json: { snapshot: volumeSnapshotView(snapshot) } };
  ctx.world.volumes.delete(snapshot, ctx.now, ctx.actor);
  return { status: 204, tookEffect: 'delete' };
}

export const VOLUME_ROUTES: { method: string; pattern: RegExp; handler: Handler }[] = [
  {
    method: 'GET',
    pattern: /^\/v2\/volumes$/,
    handler: (ctx) => {
      // DigitalOcean filters by name and region only: there is no droplet filter
      const name = ctx.query.get('name');
      const region = ctx.query.get('region');
      const volumes = [...ctx.world.volumes.volumes.values()].filter(
        (v) => (name === null || v.name === name) && (region === null || v.region === region),
      );
      return listReply(ctx, 'volumes', volumes.map(volumeView));
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/v2/volumes/${UUID}/snapshots$`),
    handler: (ctx, [id]) => {
      if (!ctx.world.volumes.volumes.has(id ?? '')) return NOT_FOUND();
      return listReply(
        ctx,
        'snapshots',
        ctx.world.volumes.liveSnapshots((s) => s.volumeId === id).map(volumeSnapshotView),
      );
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/v2/volumes/${UUID}/snapshots$`),
    handler: (ctx, [id]) => postVolumeSnapshot(ctx, id ?? ''),
  },
  {
    method: 'DELETE',
    pattern: /^\/v2\/volumes\/snapshots\/([^/]+)$/,
    handler: (ctx, [id]) => volumeSnapshotById(ctx, id ?? '', 'DELETE'),
  },
  { method: 'POST', pattern: /^\/v2\/images\/(\d+)\/actions$/, handler: (ctx, [id]) => postImageAction(ctx, id ?? '') },
  {
    method: 'GET',
    pattern: /^\/v2\/images\/(\d+)\/actions$/,
    handler: (ctx, [id]) => {
      if (!ctx.world.images.has(Number(id))) return NOT_FOUND();
      const newestFirst = [...ctx.world.imageActions.values()]
        .filter((a) => a.imageId === Number(id))
        .sort((a, b) => b.id - a.id);
      return listReply(
        ctx,
        'actions',
        newestFirst.map((a) => imageActionView(ctx.world, a, ctx.now)),
      );
    },
  },
  {
    method: 'GET',
    pattern: /^\/v2\/images\/(\d+)\/actions\/(\d+)$/,
    handler: (ctx, [imageId, actionId]) => {
      const action = ctx.world.imageActions.get(Number(actionId));
      return action && action.imageId === Number(imageId)
        ? { status: 200, json: { action: imageActionView(ctx.world, action, ctx.now) } }
        : NOT_FOUND();
    },
  },
];
