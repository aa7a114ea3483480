import { createDroplet, deleteDroplet, parseCreateBody } from './droplet-creation.js';
import type { Handler, Reply, RequestContext } from './routes.js';
import { errorReply, NOT_FOUND } from './routes.js';
import { dropletView } from './views.js';

/** `POST /v2/droplets` and `DELETE /v2/droplets/{id}` (ARCHITECTURE.md). */

function postDroplet(ctx: RequestContext): Reply {
  const request = parseCreateBody(ctx.body);
  if ('message' in request) return errorReply(request.status, request.id, request.message);
  const created = createDroplet(ctx.world, request, ctx.now, ctx.actor, ctx.config, ctx.endsErrored);
  if ('message' in created) return errorReply(created.status, created.id, created.message);
  const { droplet, action } = created;
  const href = new URL(`/v2/actions/${action.id}`, ctx.linkBase).href;
  return {
    status: 202,
    json: {
      droplet: dropletView(ctx.world, droplet, ctx.now),
      links: { actions: [{ id: action.id, rel: 'create', href }] },
    },
    tookEffect: 'action',
  };
}

function destroyDroplet(ctx: RequestContext, id: number): Reply {
  if (!deleteDroplet(ctx.world, id, ctx.now, ctx.actor, ctx.config.deletedDropletLingerMs)) return NOT_FOUND();
  // 204 with an empty body but a content-type, as the spec's no_content_with_content_type says
  return { status: 204, headers: { 'content-type': 'application/json; charset=utf-8' }, tookEffect: 'delete' };
}

export const DROPLET_CREATE_ROUTES: { method: string; pattern: RegExp; handler: Handler }[] = [
  { method: 'POST', pattern: /^\/v2\/droplets$/, handler: (ctx) => postDroplet(ctx) },
  { method: 'DELETE', pattern: /^\/v2\/droplets\/(\d+)$/, handler: (ctx, [id]) => destroyDroplet(ctx, Number(id)) },
];
