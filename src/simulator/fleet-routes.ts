import type { Action, DropletActionType } from '../digitalocean/types.js';
import type { SimAction } from './model.js';
import { errorReply, listReply, type Handler, type Reply, type RequestContext } from './routes.js';
import { actionView } from './views.js';
import { imageActionView } from './volume-views.js';

/**
 * The account-wide action listing and the tag-based bulk action (ARCHITECTURE.md): what a fleet
 * watcher reads and what a fleet could post instead of one action per droplet.
 */

/** The types the bulk endpoint's description allows that the simulator models; DigitalOcean allows four more. */
const BULK_TYPES: readonly DropletActionType[] = ['snapshot', 'shutdown', 'power_off', 'power_on'];

/**
 * Every action of the account, droplet and image actions alike, newest first (observed upstream, undocumented), with
 * the higher id first within a second; shuffled under the `shuffledActionListingRate` fault. A new action shifts
 * every later page by one, as offset paging does upstream.
 */
function listAllActions(ctx: RequestContext): Reply {
  const { world, now } = ctx;
  const listed: { at: number; id: number; json: Action }[] = [
    ...[...world.actions.values()].map((a) => ({ at: a.startedAt, id: a.id, json: actionView(world, a, now) })),
    ...[...world.imageActions.values()].map((a) => ({
      at: a.startedAt,
      id: a.id,
      json: imageActionView(world, a, now),
    })),
  ];
  listed.sort((a, b) => b.at - a.at || b.id - a.id);
  const random = ctx.shuffledActionListing?.();
  if (random) {
    for (let i = listed.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [listed[i], listed[j]] = [listed[j] as (typeof listed)[number], listed[i] as (typeof listed)[number]];
    }
  }
  return listReply(
    ctx,
    'actions',
    listed.map((a) => a.json),
  );
}

function parsedBody(body: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `POST /v2/droplets/actions?tag_name=T`: one action per droplet carrying the tag at this instant, all snapshots with
 * the one name given. Without a tag the upstream behaviour is unverified (godo refuses an empty tag before sending),
 * so the simulator refuses it loudly. A tagged droplet that is busy is left out of the reply (one of the two
 * unverified possibilities); a tag no droplet carries gets an empty `actions` array.
 */
function postBulkAction(ctx: RequestContext): Reply {
  const tag = ctx.query.get('tag_name');
  if (tag === null || tag === '')
    return errorReply(422, 'unprocessable_entity', 'tag_name is required: this request would act on every droplet');
  const body = parsedBody(ctx.body);
  if (!body) return errorReply(400, 'bad_request', 'error parsing request body');
  const { type, name } = body;
  if (typeof type !== 'string' || !BULK_TYPES.includes(type as DropletActionType)) {
    return errorReply(
      422,
      'unprocessable_entity',
      `request payload validation failed: type must be one of ${BULK_TYPES.join(', ')}`,
    );
  }
  if (name !== undefined && (typeof name !== 'string' || name === ''))
    return errorReply(
      422,
      'unprocessable_entity',
      'request payload validation failed: name must be a non-empty string',
    );
  const tagged = [...ctx.world.droplets.values()].filter((d) => d.tags.includes(tag)).sort((a, b) => a.id - b.id);
  const created: SimAction[] = [];
  for (const droplet of tagged) {
    const action = ctx.world.createAction(
      droplet.id,
      type as DropletActionType,
      name as string | undefined,
      ctx.now,
      ctx.actor,
      ctx.endsErrored,
    );
    if (!('message' in action)) created.push(action);
  }
  return {
    status: 201,
    json: { actions: created.map((a) => actionView(ctx.world, a, ctx.now)) },
    ...(created.length > 0 ? { tookEffect: 'action' as const } : {}),
  };
}

export const FLEET_ROUTES: { method: string; pattern: RegExp; handler: Handler }[] = [
  { method: 'GET', pattern: /^\/v2\/actions$/, handler: (ctx) => listAllActions(ctx) },
  { method: 'POST', pattern: /^\/v2\/droplets\/actions$/, handler: (ctx) => postBulkAction(ctx) },
];
