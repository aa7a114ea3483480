import { describe, expect, it } from 'vitest';
import {
  ACCOUNT,
  ACTION,
  ACTION_LINK,
  DROPLET,
  DROPLET_SNAPSHOT,
  ERROR_BODY,
  forbidden,
  problems,
  rateLimitHeaderProblems,
  REGION,
  SNAPSHOT,
} from './schema.js';
import { clientFor, failure, raw, requestsTo, simulator, START, TOKEN, virtualClock } from './helpers.js';

/**
 * The simulator answers with the shapes DigitalOcean documents, and the client sends what DigitalOcean documents.
 * Both sides are checked against the spec here, so the simulator cannot drift into agreeing with a wrong client.
 */

type Raw = Awaited<ReturnType<typeof raw>>;

function body(reply: Raw): Record<string, unknown> {
  expect(reply.json, reply.text).toBeTypeOf('object');
  return reply.json as Record<string, unknown>;
}

describe('simulator responses match the spec', () => {
  it('serves every endpoint with the documented status, root key and field types', async () => {
    const clock = virtualClock();
    const sim = await simulator({
      clock: clock.now,
      droplets: [
        {
          id: 7,
          name: 'web-07',
          tags: ['web', 'env:prod'],
          backups: [{ name: 'weekly', id: 900 }],
          snapshots: [{ name: 'old', id: 901 }],
        },
      ],
      readOnlyTokens: ['read-only'],
    });
    const replies: [string, Raw][] = [];
    const call = async (method: string, path: string, options?: Parameters<typeof raw>[3]): Promise<Raw> => {
      const reply = await raw(sim, method, path, options);
      replies.push([`${method} ${path} -> ${reply.status}`, reply]);
      return reply;
    };

    const account = await call('GET', '/v2/account');
    expect(account.status).toBe(200);
    expect(problems(body(account).account, ACCOUNT, 'account.')).toEqual([]);

    const droplets = await call('GET', '/v2/droplets?tag_name=env%3Aprod');
    expect(droplets.status).toBe(200);
    const list = body(droplets);
    expect(problems(list.meta, { total: 'integer' }, 'meta.')).toEqual([]);
    expect((list.droplets as unknown[]).flatMap((d, i) => problems(d, DROPLET, `droplets[${i}].`))).toEqual([]);

    const droplet = body(await call('GET', '/v2/droplets/7')).droplet as Record<string, unknown>;
    expect(problems(droplet, DROPLET, 'droplet.')).toEqual([]);
    expect(problems(droplet.region, REGION, 'droplet.region.')).toEqual([]);
    expect(droplet.status).toBe('active');

    const posted = await call('POST', '/v2/droplets/7/actions', { body: { type: 'snapshot', name: 'contract-snap' } });
    expect(posted.status).toBe(201);
    const action = body(posted).action as Record<string, unknown>;
    expect(problems(action, ACTION, 'action.')).toEqual([]);
    expect(problems(action.region, REGION, 'action.region.')).toEqual([]);
    expect(action).toMatchObject({
      status: 'in-progress',
      completed_at: null,
      resource_id: 7,
      resource_type: 'droplet',
      type: 'snapshot',
      region_slug: 'nyc3',
    });

    const busy = await call('POST', '/v2/droplets/7/actions', { body: { type: 'power_off' } });
    expect(busy.status).toBe(422);
    expect(busy.json).toMatchObject({ id: 'unprocessable_entity', message: 'Droplet already has a pending event.' });

    clock.advance(2000);
    for (const path of [`/v2/actions/${String(action.id)}`, `/v2/droplets/7/actions/${String(action.id)}`]) {
      const done = body(await call('GET', path)).action as Record<string, unknown>;
      expect(problems(done, ACTION, `${path} action.`)).toEqual([]);
      expect(done.status).toBe('completed');
      expect(done.completed_at).toBeTypeOf('string');
    }
    const actions = body(await call('GET', '/v2/droplets/7/actions'));
    expect((actions.actions as unknown[]).flatMap((a) => problems(a, ACTION))).toEqual([]);

    const own = body(await call('GET', '/v2/droplets/7/snapshots?per_page=200')).snapshots as Record<string, unknown>[];
    expect(
      own.flatMap((s, i) => [
        ...problems(s, DROPLET_SNAPSHOT, `snapshots[${i}].`),
        ...forbidden(s, ['resource_id', 'resource_type', 'tags']),
      ]),
    ).toEqual([]);
    expect(own.map((s) => s.type).sort()).toEqual(['backup', 'snapshot', 'snapshot']);
    const made = own.find((s) => s.name === 'contract-snap');
    expect(made?.created_at).toBe(action.started_at);

    const all = body(await call('GET', '/v2/snapshots?resource_type=droplet')).snapshots as Record<string, unknown>[];
    expect(all.flatMap((s, i) => [...problems(s, SNAPSHOT, `snapshots[${i}].`), ...forbidden(s, ['type'])])).toEqual(
      [],
    );
    expect(all.every((s) => s.resource_type === 'droplet' && s.resource_id === '7')).toBe(true);
    expect(all.map((s) => s.name).sort()).toEqual(['contract-snap', 'old']);
    expect(all.find((s) => s.name === 'contract-snap')?.id).toBe(String(made?.id));

    const single = body(await call('GET', `/v2/snapshots/${String(made?.id)}`)).snapshot;
    expect(problems(single, SNAPSHOT, 'snapshot.')).toEqual([]);
    expect((body(await call('GET', '/v2/droplets/7')).droplet as { snapshot_ids: number[] }).snapshot_ids).toContain(
      made?.id,
    );

    const deleted = await call('DELETE', `/v2/snapshots/${String(made?.id)}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect(deleted.headers.get('content-type')).toBeNull();

    // every documented error, each with DigitalOcean's error body
    const errors: [Raw, number, string][] = [
      [await call('DELETE', `/v2/snapshots/${String(made?.id)}`), 404, 'not_found'],
      [await call('GET', '/v2/snapshots/900'), 400, 'bad_request'],
      [await call('DELETE', '/v2/snapshots/900'), 400, 'bad_request'],
      [await call('GET', '/v2/droplets/8'), 404, 'not_found'],
      [await call('POST', '/v2/droplets/8/actions', { body: { type: 'power_off' } }), 404, 'not_found'],
      [await call('GET', '/v2/droplets', { token: null }), 401, 'unauthorized'],
      [await call('GET', '/v2/droplets', { token: 'not-a-token' }), 401, 'unauthorized'],
      [
        await call('POST', '/v2/droplets/7/actions', { token: 'read-only', body: { type: 'power_off' } }),
        403,
        'forbidden',
      ],
      [
        await call('POST', '/v2/droplets/7/actions', { body: { type: 'reboot-into-space' } }),
        422,
        'unprocessable_entity',
      ],
    ];
    sim.configure({ faults: { failNextRequests: { status: 500, count: 1 } } });
    errors.push([await call('GET', '/v2/account'), 500, 'server_error']);
    for (const [reply, status, id] of errors) {
      expect(reply.status, reply.text).toBe(status);
      expect(problems(reply.json, ERROR_BODY), reply.text).toEqual([]);
      expect(reply.json).toMatchObject({ id });
      expect(reply.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(errors[1]?.[0].json).toMatchObject({ message: 'the resource is not a snapshot' });
    expect(errors[5]?.[0].json).toMatchObject({ message: 'Unable to authenticate you.' });

    sim.configure({ rateLimitPerMinute: 1 });
    clock.advance(61_000);
    await call('GET', '/v2/account');
    const limited = await call('GET', '/v2/account');
    expect(limited.status).toBe(429);
    expect(limited.json).toMatchObject({ id: 'too_many_requests', message: 'API rate limit exceeded.' });
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);

    // the three rate-limit headers on every response, errors included
    expect(replies.flatMap(([where, reply]) => rateLimitHeaderProblems(reply.headers, where))).toEqual([]);
    // remaining counts down within the limit; reset is an epoch second within one hour of the reply (ARCHITECTURE.md)
    for (const [where, reply] of replies) {
      const limit = Number(reply.headers.get('ratelimit-limit'));
      const remaining = Number(reply.headers.get('ratelimit-remaining'));
      const resetMs = Number(reply.headers.get('ratelimit-reset')) * 1000;
      expect(remaining, where).toBeLessThanOrEqual(limit);
      expect(resetMs - START, where).toBeGreaterThan(0);
      expect(resetMs - clock.now(), where).toBeLessThanOrEqual(3_600_000 + 1000);
    }
    expect(limited.headers.get('ratelimit-limit')).toBe('5000');
    expect(
      replies.every(
        ([, reply]) => reply.status === 204 || reply.headers.get('content-type')?.startsWith('application/json'),
      ),
    ).toBe(true);
  });

  it(
    'lists every action of the account newest first, and ' + 'answers a bulk action with one action per droplet',
    async () => {
      const clock = virtualClock();
      const sim = await simulator({ clock: clock.now, fleet: { count: 3, tag: 'web', firstId: 11 } });
      const bulk = await raw(sim, 'POST', '/v2/droplets/actions?tag_name=web', {
        body: { type: 'snapshot', name: 'fleet-snap' },
      });
      expect(bulk.status, bulk.text).toBe(201);
      const bulkBody = body(bulk);
      expect(Object.keys(bulkBody)).toEqual(['actions']); // no links, no meta
      const created = bulkBody.actions as Record<string, unknown>[];
      expect(created.flatMap((a, i) => problems(a, ACTION, `actions[${i}].`))).toEqual([]);
      expect(created.map((a) => a.resource_id)).toEqual([11, 12, 13]);
      expect(created.every((a) => a.status === 'in-progress' && a.type === 'snapshot')).toBe(true);

      clock.advance(1000);
      const single = await raw(sim, 'POST', '/v2/droplets/11/actions', { body: { type: 'power_off' } });
      expect(single.status).toBe(422); // still locked by the bulk snapshot
      const listed = body(await raw(sim, 'GET', '/v2/actions?per_page=2'));
      expect(listed.meta).toEqual({ total: 3 });
      const page = listed.actions as Record<string, unknown>[];
      expect(page.flatMap((a, i) => problems(a, ACTION, `actions[${i}].`))).toEqual([]);
      expect(page.map((a) => a.id)).toEqual([created[2]?.id, created[1]?.id]);
      expect((listed.links as { pages: Record<string, string> }).pages.next).toContain('page=2');

      for (const refused of ['/v2/droplets/actions', '/v2/droplets/actions?tag_name=']) {
        const reply = await raw(sim, 'POST', refused, { body: { type: 'snapshot' } });
        expect(reply.status).toBe(422);
        expect(problems(reply.json, ERROR_BODY)).toEqual([]);
      }
      expect((await raw(sim, 'POST', '/v2/droplets/actions?tag_name=web', { body: { type: 'rebuild' } })).status).toBe(
        422,
      );
      const none = await raw(sim, 'POST', '/v2/droplets/actions?tag_name=db', { body: { type: 'snapshot' } });
      expect(none.status).toBe(201);
      expect(none.json).toEqual({ actions: [] });
    },
  );

  it('paginates with meta.total and absolute links that apply, and sends all three single-page shapes', async () => {
    const sim = await simulator({ fleet: { count: 45, tag: 'batch' } });
    const first = body(await raw(sim, 'GET', '/v2/droplets?tag_name=batch&per_page=20'));
    expect(first.meta).toEqual({ total: 45 });
    const firstPages = (first.links as { pages: Record<string, string> }).pages;
    expect(Object.keys(firstPages).sort()).toEqual(['last', 'next']);
    expect(new URL(firstPages.next ?? '').searchParams.get('page')).toBe('2');
    expect(new URL(firstPages.last ?? '').searchParams.get('page')).toBe('3');
    expect(firstPages.next?.startsWith(sim.url)).toBe(true);

    const middle = (
      body(await raw(sim, 'GET', '/v2/droplets?tag_name=batch&per_page=20&page=2')).links as {
        pages: Record<string, string>;
      }
    ).pages;
    expect(Object.keys(middle).sort()).toEqual(['first', 'last', 'next', 'prev']);
    const last = body(await raw(sim, 'GET', '/v2/droplets?tag_name=batch&per_page=20&page=3'));
    expect(Object.keys((last.links as { pages: object }).pages).sort()).toEqual(['first', 'prev']);
    expect((last.droplets as unknown[]).length).toBe(5);

    const shapes = new Set<string>();
    for (let i = 0; i < 3; i += 1)
      shapes.add(
        JSON.stringify(body(await raw(sim, 'GET', '/v2/droplets?tag_name=batch&per_page=200')).links ?? 'absent'),
      );
    expect([...shapes].sort()).toEqual(['"absent"', '{"pages":{}}', '{}']);

    const clamped = body(await raw(sim, 'GET', '/v2/droplets?per_page=500'));
    expect((clamped.droplets as unknown[]).length).toBe(45);
    expect((await raw(sim, 'GET', '/v2/droplets?page=0')).status).toBe(400);
  });
});

describe('droplet create and delete match the spec (ARCHITECTURE.md)', () => {
  it('POST /v2/droplets answers 202 {droplet, links.actions}; DELETE, 204 empty with a content-type', async () => {
    const clock = virtualClock();
    const sim = await simulator({
      clock: clock.now,
      droplets: [{ id: 7, name: 'web-07', snapshots: [{ id: 901, name: 'arcadia-snap-7-0123abcd' }] }],
    });
    const create = {
      name: 'restore-web-07',
      size: 's-1vcpu-1gb',
      image: 901,
      region: 'nyc3',
      tags: ['arcadia-saga-x'],
    };
    const created = await raw(sim, 'POST', '/v2/droplets', { body: create });
    expect(created.status).toBe(202);
    expect(created.headers.get('content-type')).toMatch(/^application\/json/);
    expect(rateLimitHeaderProblems(created.headers, 'POST /v2/droplets')).toEqual([]);
    const reply = body(created);
    expect(Object.keys(reply).sort()).toEqual(['droplet', 'links']);
    const droplet = reply.droplet as Record<string, unknown>;
    expect(problems(droplet, DROPLET, 'droplet.')).toEqual([]);
    expect(problems(droplet.region, REGION, 'droplet.region.')).toEqual([]);
    expect(droplet).toMatchObject({ status: 'new', snapshot_ids: [], backup_ids: [], volume_ids: [] });
    const links = (reply.links as { actions: unknown[] }).actions;
    expect(links).toHaveLength(1);
    expect(problems(links[0], ACTION_LINK, 'links.actions[0].')).toEqual([]);
    const link = links[0] as { id: number; rel: string; href: string };
    expect(link.rel).toBe('create');
    expect(new URL(link.href).pathname).toBe(`/v2/actions/${link.id}`);
    const action = body(await raw(sim, 'GET', `/v2/actions/${link.id}`)).action;
    expect(problems(action, ACTION, 'action.')).toEqual([]);
    expect(action).toMatchObject({ type: 'create', resource_id: droplet.id, resource_type: 'droplet' });

    const deleted = await raw(sim, 'DELETE', `/v2/droplets/${String(droplet.id)}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect(deleted.headers.get('content-type')).not.toBeNull();
    expect(rateLimitHeaderProblems(deleted.headers, 'DELETE /v2/droplets/{id}')).toEqual([]);

    const errors: [Raw, number, string][] = [
      [await raw(sim, 'DELETE', '/v2/droplets/424242'), 404, 'not_found'],
      [
        await raw(sim, 'POST', '/v2/droplets', { body: { ...create, image: 'snap-name' } }),
        422,
        'unprocessable_entity',
      ],
      [await raw(sim, 'POST', '/v2/droplets', { body: { ...create, region: 'sfo3' } }), 422, 'unprocessable_entity'],
      [await raw(sim, 'POST', '/v2/droplets', { body: create, token: null }), 401, 'unauthorized'],
    ];
    for (const [error, status, id] of errors) {
      expect(error.status, error.text).toBe(status);
      expect(problems(error.json, ERROR_BODY), error.text).toEqual([]);
      expect(error.json).toMatchObject({ id });
    }
  });

  it('the client sends the documented create and delete, reads the create action id and never re-posts', async () => {
    const sim = await simulator({
      droplets: [{ id: 7, name: 'web-07', snapshots: [{ id: 901, name: 'arcadia-snap-7-0123abcd' }] }],
    });
    const client = clientFor(sim);
    const request = { name: 'restore-web-07', region: 'nyc3', size: 's-1vcpu-1gb', image: 901, tags: ['t'] };
    const created = await client.createDroplet(request);
    expect(created.droplet).toMatchObject({ name: 'restore-web-07', status: 'new' });
    expect(created.actionId).toBe(sim.state().dropletHistory.find((d) => d.name === 'restore-web-07')?.createActionId);
    await client.deleteDroplet(created.droplet.id);
    sim.configure({ faults: { dropNextPost: 1 } });
    const lost = await failure(client.createDroplet({ ...request, name: 'lost-reply' }));
    expect(lost.name).toBe('OutcomeUnknownError');
    expect(lost.message).toContain('droplet_create');
    const gone = await failure(client.deleteDroplet(created.droplet.id));
    expect(gone.name).toBe('NotFoundError');
    const log = sim
      .state()
      .requests.filter((r) => r.path.startsWith('/v2/droplets'))
      .map((r) => ({ method: r.method, path: r.path, body: r.body }));
    expect(log).toEqual([
      { method: 'POST', path: '/v2/droplets', body: request },
      { method: 'DELETE', path: `/v2/droplets/${created.droplet.id}`, body: null },
      { method: 'POST', path: '/v2/droplets', body: { ...request, name: 'lost-reply' } },
      { method: 'DELETE', path: `/v2/droplets/${created.droplet.id}`, body: null },
    ]);
    expect(requestsTo(sim, 'POST', '/v2/droplets').every((r) => r.headers['content-type'] === 'application/json')).toBe(
      true,
    );
  });
});

describe('client requests match the spec', () => {
  it('sends the documented method, path, query, headers and body', async () => {
    const clock = virtualClock();
    const sim = await simulator({ clock: clock.now, droplets: [{ id: 7, name: 'web-07', tags: ['env:prod'] }] });
    const client = clientFor(sim, { userAgent: 'arcadia/9.9.9' });

    await client.getAccount();
    await client.listDroplets({ tagName: 'env:prod' });
    await client.getDroplet(7);
    const action = await client.postDropletAction(7, { type: 'snapshot', name: 'arcadia-snap-7-0123abcd' });
    await client.getAction(action.id);
    await client.getDropletAction(7, action.id);
    await client.listDropletActions(7);
    clock.advance(5000);
    const [made] = (await client.listDropletSnapshots(7)).filter((s) => s.type === 'snapshot');
    await client.listSnapshots({ resourceType: 'droplet' });
    await client.listSnapshots();
    await client.getSnapshot(String(made?.id));
    await client.deleteSnapshot(String(made?.id));

    const log = sim.state().requests.map((r) => ({ method: r.method, path: r.path, query: r.query, body: r.body }));
    expect(log).toEqual([
      { method: 'GET', path: '/v2/account', query: {}, body: null },
      { method: 'GET', path: '/v2/droplets', query: { tag_name: 'env:prod', page: '1', per_page: '200' }, body: null },
      { method: 'GET', path: '/v2/droplets/7', query: {}, body: null },
      {
        method: 'POST',
        path: '/v2/droplets/7/actions',
        query: {},
        body: { type: 'snapshot', name: 'arcadia-snap-7-0123abcd' },
      },
      { method: 'GET', path: `/v2/actions/${action.id}`, query: {}, body: null },
      { method: 'GET', path: `/v2/droplets/7/actions/${action.id}`, query: {}, body: null },
      { method: 'GET', path: '/v2/droplets/7/actions', query: { page: '1', per_page: '200' }, body: null },
      { method: 'GET', path: '/v2/droplets/7/snapshots', query: { page: '1', per_page: '200' }, body: null },
      {
        method: 'GET',
        path: '/v2/snapshots',
        query: { resource_type: 'droplet', page: '1', per_page: '200' },
        body: null,
      },
      { method: 'GET', path: '/v2/snapshots', query: { page: '1', per_page: '200' }, body: null },
      { method: 'GET', path: `/v2/snapshots/${String(made?.id)}`, query: {}, body: null },
      { method: 'DELETE', path: `/v2/snapshots/${String(made?.id)}`, query: {}, body: null },
    ]);
    for (const request of sim.state().requests) {
      expect(request.headers.authorization).toBe('Bearer [tokens[0]]');
      expect(request.headers['user-agent']).toBe('arcadia/9.9.9');
      expect(request.headers.accept).toBe('application/json');
      expect(request.headers['content-type']).toBe(request.method === 'POST' ? 'application/json' : undefined);
    }
    // the tag value travels URL-encoded
    expect(requestsTo(sim, 'GET', '/v2/droplets')[0]?.query.tag_name).toBe('env:prod');
    expect(JSON.stringify(sim.state())).not.toContain(TOKEN);
  });

  it('sends arcadia/<package version> as the default User-Agent', async () => {
    const sim = await simulator();
    await clientFor(sim).getAccount();
    expect(sim.state().requests[0]?.headers['user-agent']).toMatch(/^arcadia\/\d+\.\d+\.\d+/);
  });

  it('refuses writes without a provisioning token before sending anything', async () => {
    const sim = await simulator();
    const client = clientFor(sim, { provisioningToken: undefined, readToken: TOKEN });
    const error = await failure(client.postDropletAction(3164444, { type: 'power_off' }));
    expect(error.name).toBe('MissingTokenError');
    expect(error.message).toContain('DIGITALOCEAN_ACCESS_TOKEN or ARCADIA_PROVISIONING_TOKEN');
    expect(await client.getDroplet(3164444)).toMatchObject({ id: 3164444 });
    expect(sim.state().requests.map((r) => r.method)).toEqual(['GET']);
  });
});
