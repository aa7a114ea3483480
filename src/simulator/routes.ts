import type { DropletActionType } from '../digitalocean/types.js';
import type { SimulatorConfig } from './config.js';
import { DROPLET_CREATE_ROUTES } from './droplet-create-routes.js';
import type { SimImage } from './model.js';
import { paginate, parsePaging } from './paginate.js';
import { FLEET_ROUTES } from './fleet-routes.js';
import { VOLUME_ROUTES, volumeSnapshotById } from './volume-routes.js';
import { imageActionView, volumeSnapshotView } from './volume-views.js';
import { accountView, actionView, dropletSnapshotView, dropletView, snapshotView } from './views.js';
import type { World } from './world.js';

export interface Reply {
  status: number;
  /** Sent as JSON; none for 204. */
  json?: unknown;
  /** Sent as-is with a text/html type, for the non-JSON error bodies proxies produce. */
  text?: string;
  headers?: Record<string, string>;
  /** A write that changed state: faults may still lose or replace its reply. */
  tookEffect?: 'action' | 'delete';
}

export interface RequestContext {
  world: World;
  /** The live configuration (volume limits, image action durations). */
  config: SimulatorConfig;
  now: number;
  method: string;
  path: string;
  query: URLSearchParams;
  body: string;
  /** Marker of the token used, recorded on what the request creates. */
  actor: string;
  /** Origin for absolute `links.pages` URLs. */
  linkBase: string;
  /** Rotates the three single-page `links` shapes. */
  singlePageStyle: number;
  /** The largest page served: DigitalOcean's 200, lower in tests that need many pages from few items. */
  maxPerPage: number;
  /** Decides whether a new action will end errored. */
  endsErrored: () => boolean;
  /** A seeded random source when this action listing is to be served shuffled (a fault), else undefined. */
  shuffledActionListing?: () => (() => number) | undefined;
}

export function errorReply(status: number, id: string, message: string): Reply {
  return { status, json: { id, message } };
}

export const NOT_FOUND = (): Reply => errorReply(404, 'not_found', 'The resource you requested could not be found.');
const NOT_A_SNAPSHOT = (): Reply => errorReply(400, 'bad_request', 'the resource is not a snapshot');

const ACTION_TYPES: readonly DropletActionType[] = ['snapshot', 'shutdown', 'power_off', 'power_on'];

export function listReply<T>(ctx: RequestContext, key: string, items: T[]): Reply {
  const paging = parsePaging(ctx.query, ctx.maxPerPage);
  if ('problem' in paging) return errorReply(400, 'bad_request', paging.problem);
  const pageUrl = (page: number): string => {
    const url = new URL(ctx.path, ctx.linkBase);
    for (const [k, v] of ctx.query) url.searchParams.set(k, v);
    url.searchParams.set('page', String(page));
    return url.href;
  };
  const { items: pageItems, links, meta } = paginate(items, paging, pageUrl, ctx.singlePageStyle);
  return { status: 200, json: links === undefined ? { [key]: pageItems, meta } : { [key]: pageItems, links, meta } };
}

function postAction(ctx: RequestContext, dropletId: number): Reply {
  let parsed: unknown;
  try {
    parsed = JSON.parse(ctx.body);
  } catch {
    return errorReply(400, 'bad_request', 'error parsing request body');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return errorReply(400, 'bad_request', 'error parsing request body');
  const { type, name } = parsed as { type?: unknown; name?: unknown };
  if (typeof type !== 'string' || !ACTION_TYPES.includes(type as DropletActionType)) {
    return errorReply(
      422,
      'unprocessable_entity',
      `request payload validation failed: type must be one of ${ACTION_TYPES.join(', ')}`,
    );
  }
  if (name !== undefined && (typeof name !== 'string' || name === ''))
    return errorReply(
      422,
      'unprocessable_entity',
      'request payload validation failed: name must be a non-empty string',
    );
  const created = ctx.world.createAction(
    dropletId,
    type as DropletActionType,
    name as string | undefined,
    ctx.now,
    ctx.actor,
    ctx.endsErrored,
  );
  if ('message' in created) return errorReply(created.status, created.id, created.message);
  return { status: 201, json: { action: actionView(ctx.world, created, ctx.now) }, tookEffect: 'action' };
}

/**
 * A backup is an image too, but not a snapshot: 400, as DigitalOcean answers since January 2024. A UUID is a volume
 * snapshot, which the same path reads and deletes.
 */
function snapshotById(ctx: RequestContext, rawId: string, andThen: (image: SimImage) => Reply): Reply {
  if (/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(rawId)) {
    return volumeSnapshotById(ctx, rawId, ctx.method === 'DELETE' ? 'DELETE' : 'GET');
  }
  if (!/^\d+$/.test(rawId)) return NOT_FOUND();
  const image = ctx.world.imageById(Number(rawId), ctx.now);
  if (!image) return NOT_FOUND();
  return image.kind === 'backup' ? NOT_A_SNAPSHOT() : andThen(image);
}

export type Handler = (ctx: RequestContext, params: string[]) => Reply;

const ROUTES: { method: string; pattern: RegExp; handler: Handler }[] = [
  {
    method: 'GET',
    pattern: /^\/v2\/account$/,
    handler: (ctx) => ({ status: 200, json: { account: accountView(ctx.world) } }),
  },
  {
    method: 'GET',
    pattern: /^\/v2\/droplets$/,
    handler: (ctx) => {
      const tag = ctx.query.get('tag_name');
      const droplets = [...ctx.world.droplets.values()]
        .filter((d) => tag === null || d.tags.includes(tag))
        .sort((a, b) => a.id - b.id);
      return listReply(
        ctx,
        'droplets',
        droplets.map((d) => dropletView(ctx.world, d, ctx.now)),
      );
    },
  },
  {
    method: 'GET',
    pattern: /^\/v2\/droplets\/(\d+)$/,
    handler: (ctx, [id]) => {
      const droplet = ctx.world.gettableDroplet(Number(id), ctx.now);
      return droplet ? { status: 200, json: { droplet: dropletView(ctx.world, droplet, ctx.now) } } : NOT_FOUND();
    },
  },
  {
    method: 'GET',
    pattern: /^\/v2\/droplets\/(\d+)\/snapshots$/,
    handler: (ctx, [id]) => {
      if (!ctx.world.droplets.has(Number(id))) return NOT_FOUND();
      return listReply(
        ctx,
        'snapshots',
        ctx.world.listedImages(ctx.now, (i) => i.dropletId === Number(id)).map(dropletSnapshotView),
      );
    },
  },
  {
    method: 'GET',
    pattern: /^\/v2\/droplets\/(\d+)\/actions$/,
    handler: (ctx, [id]) => {
      if (!ctx.world.droplets.has(Number(id))) return NOT_FOUND();
      const newestFirst = [...ctx.world.dropletActions(Number(id))].reverse();
      return listReply(
        ctx,
        'actions',
        newestFirst.map((a) => actionView(ctx.world, a, ctx.now)),
      );
    },
  },
  { method: 'POST', pattern: /^\/v2\/droplets\/(\d+)\/actions$/, handler: (ctx, [id]) => postAction(ctx, Number(id)) },
  {
    method: 'GET',
    pattern: /^\/v2\/droplets\/(\d+)\/actions\/(\d+)$/,
    handler: (ctx, [dropletId, actionId]) => {
      const action = ctx.world.actions.get(Number(actionId));
      return action && action.dropletId === Number(dropletId)
        ? { status: 200, json: { action: actionView(ctx.world, action, ctx.now) } }
        : NOT_FOUND();
    },
  },
  {
    method: 'GET',
    pattern: /^\/v2\/actions\/(\d+)$/,
    handler: (ctx, [actionId]) => {
      const action = ctx.world.actions.get(Number(actionId));
      if (action) return { status: 200, json: { action: actionView(ctx.world, action, ctx.now) } };
      const imageAction = ctx.world.imageActions.get(Number(actionId));
      if (!imageAction) return NOT_FOUND();
      return { status: 200, json: { action: imageActionView(ctx.world, imageAction, ctx.now) } };
    },
  },
  {
    method: 'GET',
    pattern: /^\/v2\/snapshots$/,
    handler: (ctx) => {
      const type = ctx.query.get('resource_type');
      if (type !== null && type !== 'droplet' && type !== 'volume')
        return errorReply(400, 'bad_request', 'resource_type must be droplet or volume');
      // backups are never listed here (DigitalOcean fixed that in April 2024)
      const droplets = type === 'volume' ? [] : ctx.world.listedImages(ctx.now, (i) => i.kind === 'snapshot');
      const volumes = type === 'droplet' ? [] : ctx.world.volumes.liveSnapshots();
      return listReply(ctx, 'snapshots', [
        ...droplets.map((i) => snapshotView(i)),
        ...volumes.map((s) => volumeSnapshotView(s)),
      ]);
    },
  },
  {
    method: 'GET',
    pattern: /^\/v2\/snapshots\/([^/]+)$/,
    handler: (ctx, [id]) =>
      snapshotById(ctx, id ?? '', (image) => ({ status: 200, json: { snapshot: snapshotView(image) } })),
  },
  {
    method: 'DELETE',
    pattern: /^\/v2\/snapshots\/([^/]+)$/,
    handler: (ctx, [id]) =>
      snapshotById(ctx, id ?? '', (image) => {
        ctx.world.deleteImage(image, ctx.now, ctx.actor);
        return { status: 204, tookEffect: 'delete' };
      }),
  },
];

export function route(ctx: RequestContext): Reply {
  ctx.world.settle(ctx.now);
  let pathMatched = false;
  for (const { method, pattern, handler } of [...ROUTES, ...FLEET_ROUTES, ...VOLUME_ROUTES, ...DROPLET_CREATE_ROUTES]) {
    const match = pattern.exec(ctx.path);
    if (!match) continue;
    pathMatched = true;
    if (method === ctx.method)
      return handler(
        ctx,
        match.slice(1).map((p) => decodeURIComponent(p)),
      );
  }
  return pathMatched ? errorReply(405, 'method_not_allowed', `${ctx.method} is not allowed here`) : NOT_FOUND();
}
