import { describe, expect, it } from 'vitest';
import type { Action, Droplet } from '../../src/digitalocean/types.js';
import { INVALID_IMAGE, INVALID_SIZE, REGION_UNAVAILABLE } from '../../src/simulator/droplet-creation.js';
import { raw, simulator, virtualClock } from '../digitalocean/helpers.js';

type Sim = Awaited<ReturnType<typeof simulator>>;

const SNAPSHOT_ID = 901;

/** One source droplet with a 25 GB snapshot kept in nyc3 and ams3, and a backup. */
async function world(config: Parameters<typeof simulator>[0] = {}) {
  const clock = virtualClock();
  const sim = await simulator({
    clock: clock.now,
    dropletCreateMs: 1000,
    createdDropletNotFoundMs: 300,
    deletedDropletLingerMs: 400,
    droplets: [
      {
        id: 7,
        name: 'web-07',
        disk: 25,
        snapshots: [{ id: SNAPSHOT_ID, name: 'arcadia-snap-7-0123abcd', regions: ['nyc3', 'ams3'], minDiskSize: 25 }],
        backups: [{ id: 902, name: 'weekly' }],
      },
    ],
    ...config,
  });
  return { clock, sim };
}

const BODY = { name: 'restore-web-07', size: 's-1vcpu-1gb', image: SNAPSHOT_ID, region: 'ams3', tags: ['restore'] };

async function create(sim: Sim, body: unknown = BODY) {
  return raw(sim, 'POST', '/v2/droplets', { body });
}

describe('simulated droplet creation from a snapshot', () => {
  it('answers 202 with the new droplet and its create action, then turns it active after the delay', async () => {
    const { clock, sim } = await world();
    const reply = await create(sim);
    expect(reply.status, reply.text).toBe(202);
    const { droplet, links } = reply.json as { droplet: Droplet; links: { actions: { id: number; rel: string }[] } };
    expect(droplet).toMatchObject({ name: 'restore-web-07', status: 'new', region: { slug: 'ams3' }, disk: 25 });
    expect(droplet.tags).toEqual(['restore']);
    const [link] = links.actions;
    expect(link).toMatchObject({ rel: 'create', href: `${sim.url}/v2/actions/${link?.id}` });

    // a GET right after the create may 404; listings show it at once
    expect((await raw(sim, 'GET', `/v2/droplets/${droplet.id}`)).status).toBe(404);
    const tagged = (await raw(sim, 'GET', '/v2/droplets?tag_name=restore')).json as { droplets: Droplet[] };
    expect(tagged.droplets.map((d) => d.id)).toEqual([droplet.id]);

    clock.advance(300);
    const early = (await raw(sim, 'GET', `/v2/droplets/${droplet.id}`)).json as { droplet: Droplet };
    expect(early.droplet).toMatchObject({ status: 'new', locked: true });
    const running = (await raw(sim, 'GET', `/v2/actions/${link?.id}`)).json as { action: Action };
    expect(running.action).toMatchObject({ type: 'create', status: 'in-progress', resource_id: droplet.id });

    clock.advance(700);
    const done = (await raw(sim, 'GET', `/v2/actions/${link?.id}`)).json as { action: Action };
    expect(done.action.status).toBe('completed');
    clock.advance(200); // the unlock lag
    const active = (await raw(sim, 'GET', `/v2/droplets/${droplet.id}`)).json as { droplet: Droplet };
    expect(active.droplet).toMatchObject({ status: 'active', locked: false });
    expect(sim.state().dropletHistory.find((d) => d.id === droplet.id)).toMatchObject({
      createdBy: 'tokens[0]',
      imageId: SNAPSHOT_ID,
      createActionId: link?.id,
      deletedAt: null,
    });
  });

  it('defaults the region to the snapshot first one and keeps an errored create new', async () => {
    const { clock, sim } = await world();
    sim.configure({ faults: { errorNextActions: 1 } });
    const { region: _region, ...noRegion } = BODY;
    const reply = await create(sim, noRegion);
    const { droplet } = reply.json as { droplet: Droplet };
    expect(droplet.region.slug).toBe('nyc3');
    clock.advance(5000);
    const later = (await raw(sim, 'GET', `/v2/droplets/${droplet.id}`)).json as { droplet: Droplet };
    expect(later.droplet.status).toBe('new');
    expect(sim.state().actions.find((a) => a.type === 'create')?.status).toBe('errored');
  });

  const refusals: [string, unknown, number, string | RegExp][] = [
    ['a name with an underscore', { ...BODY, name: 'restore_web' }, 422, /name must match/],
    ['a name ending in a dash', { ...BODY, name: 'restore-' }, 422, /name must match/],
    ['a name longer than 255', { ...BODY, name: 'a'.repeat(256) }, 422, /name must match/],
    ['no size', { ...BODY, size: undefined }, 422, /size is required/],
    ['an unknown size', { ...BODY, size: 's-99vcpu' }, 422, INVALID_SIZE],
    ['a snapshot name as image', { ...BODY, image: 'arcadia-snap-7-0123abcd' }, 422, INVALID_IMAGE],
    ['an unknown image id', { ...BODY, image: 12345 }, 422, INVALID_IMAGE],
    ['a backup as image', { ...BODY, image: 902 }, 422, INVALID_IMAGE],
    ['a volume snapshot id', { ...BODY, image: 'fbe805e8-866b-11e6-96bf-000f53315a41' }, 422, INVALID_IMAGE],
    ['a region the snapshot is not in', { ...BODY, region: 'sfo3' }, 422, REGION_UNAVAILABLE],
    ['a size whose disk is too small', { ...BODY, size: 's-1vcpu-512mb-10gb' }, 422, /too small/],
    ['a bad tag', { ...BODY, tags: ['no spaces'] }, 422, /tags/],
    ['a body that is not JSON', 'not json', 400, 'error parsing request body'],
  ];
  for (const [what, body, status, message] of refusals) {
    it(`refuses ${what} and creates nothing`, async () => {
      const { sim } = await world();
      const reply =
        typeof body === 'string'
          ? await fetch(`${sim.url}/v2/droplets`, {
              method: 'POST',
              headers: { Authorization: 'Bearer arcadia-simulator-token', 'Content-Type': 'application/json' },
              body,
            }).then(async (r) => ({ status: r.status, json: (await r.json()) as unknown }))
          : await create(sim, body);
      expect(reply.status).toBe(status);
      const error = reply.json as { message: string };
      if (typeof message === 'string') expect(error.message).toBe(message);
      else expect(error.message).toMatch(message);
      expect(sim.state().dropletHistory.map((d) => d.id)).toEqual([7]);
    });
  }

  it('deletes with 204, an empty body and a content-type; the droplet lingers, then 404', async () => {
    const { clock, sim } = await world();
    const { droplet } = (await create(sim)).json as { droplet: Droplet };
    const deleted = await raw(sim, 'DELETE', `/v2/droplets/${droplet.id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect(deleted.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await raw(sim, 'DELETE', `/v2/droplets/${droplet.id}`)).status).toBe(404);
    clock.advance(300);
    const listed = (await raw(sim, 'GET', '/v2/droplets?tag_name=restore')).json as { droplets: Droplet[] };
    expect(listed.droplets.map((d) => d.id)).toEqual([droplet.id]);
    clock.advance(100);
    expect((await raw(sim, 'GET', `/v2/droplets/${droplet.id}`)).status).toBe(404);
    expect(((await raw(sim, 'GET', '/v2/droplets')).json as { droplets: Droplet[] }).droplets.map((d) => d.id)).toEqual(
      [7],
    );
    expect(sim.state().dropletHistory.find((d) => d.id === droplet.id)).toMatchObject({
      deletedBy: 'tokens[0]',
      listed: false,
    });
    expect((await raw(sim, 'DELETE', '/v2/droplets/424242')).status).toBe(404);
  });

  it('applies write faults: a dropped create reply made the droplet, a dropped delete still deleted', async () => {
    const { sim } = await world();
    sim.configure({ faults: { dropNextPost: 1 } });
    await expect(create(sim)).rejects.toThrow();
    const [made] = sim.state().dropletHistory.filter((d) => d.createdBy !== null);
    expect(made).toMatchObject({ name: 'restore-web-07' });
    sim.configure({ faults: { serverErrorAfterNextPost: 1 } });
    expect((await create(sim, { ...BODY, name: 'second' })).status).toBe(500);
    expect(sim.state().dropletHistory.filter((d) => d.createdBy !== null)).toHaveLength(2);
    sim.configure({ faults: { dropNextDelete: 1 } });
    await expect(raw(sim, 'DELETE', `/v2/droplets/${made?.id}`)).rejects.toThrow();
    expect(sim.state().dropletHistory.find((d) => d.id === made?.id)?.deletedAt).not.toBeNull();
    sim.configure({ faults: { failNextRequests: { status: 429, count: 1, method: 'POST', retryAfterSeconds: 1 } } });
    expect((await create(sim, { ...BODY, name: 'third' })).status).toBe(429);
    expect(sim.state().dropletHistory.filter((d) => d.createdBy !== null)).toHaveLength(2);
  });
});
