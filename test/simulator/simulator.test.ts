import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Action, Droplet, DropletSnapshot, Snapshot } from '../../src/digitalocean/types.js';
import { loadSimulatorConfig, runSimulatorServer, STATE_PATH } from '../../src/simulator/index.js';
import { ConfigError } from '../../src/errors.js';
import { raw, simulator, START, TOKEN, virtualClock } from '../digitalocean/helpers.js';

type Sim = Awaited<ReturnType<typeof simulator>>;

async function get<T>(sim: Sim, path: string, key: string): Promise<T> {
  const reply = await raw(sim, 'GET', path);
  expect(reply.status, `${path}: ${reply.text}`).toBe(200);
  return (reply.json as Record<string, T>)[key] as T;
}

async function post(sim: Sim, dropletId: number, body: unknown) {
  return raw(sim, 'POST', `/v2/droplets/${dropletId}/actions`, { body });
}

async function snapshotAction(sim: Sim, dropletId: number, name?: string): Promise<Action> {
  const reply = await post(sim, dropletId, name === undefined ? { type: 'snapshot' } : { type: 'snapshot', name });
  expect(reply.status, reply.text).toBe(201);
  return (reply.json as { action: Action }).action;
}

describe('simulated snapshots', () => {
  it('appear in listings only after the listing lag, with created_at equal to the action start', async () => {
    const clock = virtualClock();
    const sim = await simulator({ clock: clock.now, droplets: [{ id: 7, name: 'web-07' }] });
    const action = await snapshotAction(sim, 7, 'lagging');

    clock.advance(999);
    expect((await get<Action>(sim, `/v2/actions/${action.id}`, 'action')).status).toBe('in-progress');
    clock.advance(1); // completes at 1000 ms
    const done = await get<Action>(sim, `/v2/droplets/7/actions/${action.id}`, 'action');
    expect(done.status).toBe('completed');
    const snapshotId = sim.state().actions[0]?.snapshotId;
    expect(snapshotId).toBeTypeOf('number');
    // reachable by id at once, but not listed yet
    expect((await raw(sim, 'GET', `/v2/snapshots/${String(snapshotId)}`)).status).toBe(200);
    expect(await get<DropletSnapshot[]>(sim, '/v2/droplets/7/snapshots', 'snapshots')).toEqual([]);
    expect(await get<Snapshot[]>(sim, '/v2/snapshots?resource_type=droplet', 'snapshots')).toEqual([]);
    expect((await get<Droplet>(sim, '/v2/droplets/7', 'droplet')).snapshot_ids).toEqual([]);

    clock.advance(500);
    const [listed] = await get<DropletSnapshot[]>(sim, '/v2/droplets/7/snapshots', 'snapshots');
    expect(listed).toMatchObject({ id: snapshotId, name: 'lagging', type: 'snapshot', created_at: action.started_at });
    expect((await get<Snapshot[]>(sim, '/v2/snapshots?resource_type=droplet', 'snapshots')).map((s) => s.id)).toEqual([
      String(snapshotId),
    ]);
    expect((await get<Droplet>(sim, '/v2/droplets/7', 'droplet')).snapshot_ids).toEqual([snapshotId]);
    expect(sim.state().snapshots).toMatchObject([
      {
        id: snapshotId,
        name: 'lagging',
        dropletId: 7,
        createdByActionId: action.id,
        createdBy: 'tokens[0]',
        deletedAt: null,
        listed: true,
      },
    ]);
  });

  it('linger in listings after a delete, while GET and DELETE already say 404', async () => {
    const clock = virtualClock();
    const sim = await simulator({ clock: clock.now, droplets: [{ id: 7, snapshots: [{ id: 901, name: 'old' }] }] });
    expect((await raw(sim, 'DELETE', '/v2/snapshots/901')).status).toBe(204);
    expect((await raw(sim, 'GET', '/v2/snapshots/901')).status).toBe(404);
    expect((await raw(sim, 'DELETE', '/v2/snapshots/901')).status).toBe(404);
    expect((await get<DropletSnapshot[]>(sim, '/v2/droplets/7/snapshots', 'snapshots')).map((s) => s.id)).toEqual([
      901,
    ]);
    expect((await get<Snapshot[]>(sim, '/v2/snapshots', 'snapshots')).map((s) => s.id)).toEqual(['901']);
    clock.advance(500);
    expect(await get<DropletSnapshot[]>(sim, '/v2/droplets/7/snapshots', 'snapshots')).toEqual([]);
    expect(await get<Snapshot[]>(sim, '/v2/snapshots', 'snapshots')).toEqual([]);
    expect(sim.state().snapshots).toMatchObject([
      { id: 901, deletedAt: new Date(START).toISOString(), deletedBy: 'tokens[0]', listed: false },
    ]);
    expect(sim.state().counters.snapshotsDeleted).toBe(1);
  });

  it('get a default name <droplet-name>-<epoch-ms> when none is given', async () => {
    const clock = virtualClock();
    const sim = await simulator({ clock: clock.now, droplets: [{ id: 7, name: 'web-07' }] });
    await snapshotAction(sim, 7);
    expect(sim.state().actions[0]?.snapshotName).toBe(`web-07-${START}`);
  });

  it('keep backups apart: listed per droplet as type backup, never in /v2/snapshots, 400 by id', async () => {
    const sim = await simulator({ droplets: [{ id: 7, backups: [{ id: 900, name: 'weekly' }] }] });
    expect(await get<DropletSnapshot[]>(sim, '/v2/droplets/7/snapshots', 'snapshots')).toMatchObject([
      { id: 900, type: 'backup' },
    ]);
    expect(await get<Snapshot[]>(sim, '/v2/snapshots', 'snapshots')).toEqual([]);
    expect((await get<Droplet>(sim, '/v2/droplets/7', 'droplet')).backup_ids).toEqual([900]);
    for (const method of ['GET', 'DELETE']) {
      const reply = await raw(sim, method, '/v2/snapshots/900');
      expect(reply.status).toBe(400);
      expect(reply.json).toMatchObject({ id: 'bad_request', message: 'the resource is not a snapshot' });
    }
    expect(sim.state().backups).toMatchObject([{ id: 900, deletedAt: null }]);
  });

  it('an errored snapshot action makes no snapshot', async () => {
    const clock = virtualClock();
    const sim = await simulator({ clock: clock.now, droplets: [{ id: 7 }], faults: { errorNextActions: 1 } });
    const action = await snapshotAction(sim, 7, 'doomed');
    clock.advance(5000);
    expect(await get<Action>(sim, `/v2/actions/${action.id}`, 'action')).toMatchObject({
      status: 'errored',
      completed_at: expect.any(String),
    });
    expect(sim.state().snapshots).toEqual([]);
    expect(await get<DropletSnapshot[]>(sim, '/v2/droplets/7/snapshots', 'snapshots')).toEqual([]);
    // the next one works: the one-shot was spent
    await snapshotAction(sim, 7, 'fine');
    clock.advance(5000);
    expect(sim.state().snapshots.map((s) => s.name)).toEqual(['fine']);
  });
});

describe('simulated droplets', () => {
  it('lock during an action and a little after it, answering 422 "pending event" meanwhile', async () => {
    const clock = virtualClock();
    const sim = await simulator({ clock: clock.now, droplets: [{ id: 7 }] });
    await snapshotAction(sim, 7, 'one');
    expect((await get<Droplet>(sim, '/v2/droplets/7', 'droplet')).locked).toBe(true);
    const busy = await post(sim, 7, { type: 'snapshot', name: 'two' });
    expect(busy.status).toBe(422);
    expect(busy.json).toMatchObject({ id: 'unprocessable_entity', message: 'Droplet already has a pending event.' });
    clock.advance(1000); // completed, still locked for unlockLagMs
    expect((await raw(sim, 'GET', '/v2/droplets/7/actions')).json).toMatchObject({
      actions: [{ status: 'completed' }],
    });
    expect((await get<Droplet>(sim, '/v2/droplets/7', 'droplet')).locked).toBe(true);
    expect((await post(sim, 7, { type: 'power_off' })).status).toBe(422);
    clock.advance(200);
    expect((await get<Droplet>(sim, '/v2/droplets/7', 'droplet')).locked).toBe(false);
    expect((await post(sim, 7, { type: 'power_off' })).status).toBe(201);
    expect((await get<Action[]>(sim, '/v2/droplets/7/actions', 'actions')).map((a) => a.type)).toEqual([
      'power_off',
      'snapshot',
    ]);
  });

  it('change power status a little after the power action completes', async () => {
    const clock = virtualClock();
    const sim = await simulator({ clock: clock.now, droplets: [{ id: 7 }] });
    expect((await post(sim, 7, { type: 'power_on' })).json).toMatchObject({
      message: 'Droplet is already powered on.',
    });
    await post(sim, 7, { type: 'power_off' });
    clock.advance(200);
    expect(await get<Droplet>(sim, '/v2/droplets/7', 'droplet')).toMatchObject({ status: 'active' });
    clock.advance(100);
    expect(await get<Droplet>(sim, '/v2/droplets/7', 'droplet')).toMatchObject({ status: 'off' });
    clock.advance(200);
    const again = await post(sim, 7, { type: 'power_off' });
    expect(again.status).toBe(422);
    expect(again.json).toMatchObject({ id: 'unprocessable_entity', message: 'Droplet is already powered off.' });
    expect((await post(sim, 7, { type: 'power_on' })).status).toBe(201);
    clock.advance(400);
    expect(await get<Droplet>(sim, '/v2/droplets/7', 'droplet')).toMatchObject({ status: 'active' });
  });

  it('may ignore a shutdown: the action completes, the droplet stays on', async () => {
    const clock = virtualClock();
    const sim = await simulator({ clock: clock.now, droplets: [{ id: 7 }], shutdownIgnoredRate: 1 });
    const action = ((await post(sim, 7, { type: 'shutdown' })).json as { action: Action }).action;
    clock.advance(1000);
    expect((await get<Action>(sim, `/v2/actions/${action.id}`, 'action')).status).toBe('completed');
    expect((await get<Droplet>(sim, '/v2/droplets/7', 'droplet')).status).toBe('active');
  });

  it('refuse bad bodies DigitalOcean-style and know only their own actions', async () => {
    const sim = await simulator({ droplets: [{ id: 7 }, { id: 8 }] });
    const notJson = await fetch(`${sim.url}/v2/droplets/7/actions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: '{oops',
    });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ id: 'bad_request', message: 'error parsing request body' });
    expect((await post(sim, 7, { name: 'no type' })).status).toBe(422);
    expect((await post(sim, 7, { type: 'snapshot', name: 42 })).status).toBe(422);
    const action = await snapshotAction(sim, 7, 'mine');
    expect((await raw(sim, 'GET', `/v2/droplets/8/actions/${action.id}`)).status).toBe(404);
    expect((await raw(sim, 'GET', '/v2/droplets/9/snapshots')).status).toBe(404);
    expect((await raw(sim, 'GET', '/v2/nothing-here')).status).toBe(404);
  });

  it('filter by exact tag and generate fleets', async () => {
    const sim = await simulator({
      fleet: [
        { count: 200, tag: 'env:prod', namePrefix: 'web' },
        { count: 3, tag: 'env:production' },
      ],
    });
    expect(sim.state().droplets).toHaveLength(203);
    const prod = await get<Droplet[]>(sim, '/v2/droplets?tag_name=env%3Aprod&per_page=200', 'droplets');
    expect(prod).toHaveLength(200);
    expect(prod[0]).toMatchObject({ name: 'web-001', tags: ['env:prod'], status: 'active', locked: false });
    expect((await raw(sim, 'GET', '/v2/droplets?tag_name=env%3Aprod')).json).toMatchObject({ meta: { total: 200 } });
    const added = sim.addDroplet({ id: 77, name: 'late', tags: ['env:prod'], status: 'off' });
    expect(added).toMatchObject({ id: 77, status: 'off' });
    expect((await raw(sim, 'GET', '/v2/droplets?tag_name=env%3Aprod')).json).toMatchObject({ meta: { total: 201 } });
  });
});

describe('simulated fleet listings', () => {
  it('carry snapshot_ids only after the listing lag, and locked while an action is pending', async () => {
    const clock = virtualClock();
    const sim = await simulator({
      clock: clock.now,
      droplets: [{ id: 7, tags: ['web'], snapshots: [{ id: 901, name: 'old' }] }],
      actionDurationMs: { snapshot: 1000 },
      actionJitterMs: 0,
      snapshotListingLagMs: 500,
      unlockLagMs: 100,
    });
    const listed = async (): Promise<Droplet> =>
      (await get<Droplet[]>(sim, '/v2/droplets?tag_name=web', 'droplets'))[0] as Droplet;
    expect(await listed()).toMatchObject({ snapshot_ids: [901], locked: false, backup_ids: [], volume_ids: [] });
    expect((await listed()).next_backup_window).toBeNull();
    await snapshotAction(sim, 7, 'new');
    expect(await listed()).toMatchObject({ snapshot_ids: [901], locked: true });
    clock.advance(1050); // completed, still locked
    expect(await listed()).toMatchObject({ snapshot_ids: [901], locked: true });
    clock.advance(100); // unlocked, the listing still lags
    expect(await listed()).toMatchObject({ snapshot_ids: [901], locked: false });
    clock.advance(400);
    const after = (await listed()).snapshot_ids;
    expect(after).toHaveLength(2);
    expect(after).toContain(901);
  });

  it('list all actions newest first, so a new action shifts the later pages by one', async () => {
    const clock = virtualClock();
    const sim = await simulator({ clock: clock.now, fleet: { count: 5, tag: 'web', firstId: 1 } });
    const ids: number[] = [];
    for (let id = 1; id <= 4; id++) {
      ids.push((await snapshotAction(sim, id, `s${id}`)).id);
      clock.advance(1000);
    }
    const page = async (n: number): Promise<number[]> =>
      (await get<Action[]>(sim, `/v2/actions?per_page=2&page=${n}`, 'actions')).map((a) => a.id);
    expect(await page(1)).toEqual([ids[3], ids[2]]);
    const newest = (await snapshotAction(sim, 5, 's5')).id;
    // the oldest action of page 1 now opens page 2: paging on without keying by id would count it twice
    expect(await page(2)).toEqual([ids[2], ids[1]]);
    expect(await page(1)).toEqual([newest, ids[3]]);
  });

  it('serve the action listing out of order under the shuffle fault (DigitalOcean documents no order)', async () => {
    const clock = virtualClock();
    const sim = await simulator({ clock: clock.now, fleet: { count: 12, tag: 'web', firstId: 1 } });
    for (let id = 1; id <= 12; id++) await snapshotAction(sim, id, `s${id}`);
    const listed = async (): Promise<number[]> =>
      (await get<Action[]>(sim, '/v2/actions?per_page=200', 'actions')).map((a) => a.id);
    const newestFirst = await listed();
    expect(newestFirst).toEqual([...newestFirst].sort((a, b) => b - a));
    sim.configure({ faults: { shuffledActionListingRate: 1 } });
    const shuffled = await listed();
    expect(shuffled).not.toEqual(newestFirst);
    expect([...shuffled].sort()).toEqual([...newestFirst].sort());
    expect(sim.state().counters.faultsInjected).toBeGreaterThan(0);
  });

  it('apply a bulk snapshot to every tagged droplet not busy, all with the one name', async () => {
    const clock = virtualClock();
    const sim = await simulator({ clock: clock.now, fleet: { count: 3, tag: 'web', firstId: 1 } });
    await snapshotAction(sim, 2, 'busy');
    const reply = await raw(sim, 'POST', '/v2/droplets/actions?tag_name=web', {
      body: { type: 'snapshot', name: 'n' },
    });
    expect(reply.status).toBe(201);
    expect((reply.json as { actions: Action[] }).actions.map((a) => a.resource_id)).toEqual([1, 3]);
    clock.advance(60_000);
    const names = sim.state().snapshots.map((s) => `${s.dropletId}:${s.name}`);
    expect(names.sort()).toEqual(['1:n', '2:busy', '3:n']);
  });
});

describe('simulated rate limits', () => {
  it(
    'count down per token over a sliding hour, reset at the oldest request + 1 h, and refuse past the burst ' + 'limit',
    async () => {
      const clock = virtualClock();
      const sim = await simulator({
        clock: clock.now,
        rateLimitPerMinute: 3,
        rateLimitPerHour: 10,
        tokens: [TOKEN, 'other'],
      });
      const remaining: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        const reply = await raw(sim, 'GET', '/v2/account');
        remaining.push(reply.headers.get('ratelimit-remaining') ?? '');
        expect(reply.headers.get('ratelimit-limit')).toBe('10');
        expect(reply.headers.get('ratelimit-reset')).toBe(String((START + 3_600_000) / 1000));
        clock.advance(1000);
      }
      expect(remaining).toEqual(['9', '8', '7']);
      const refused = await raw(sim, 'GET', '/v2/account');
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('57');
      expect((await raw(sim, 'GET', '/v2/account', { token: 'other' })).status).toBe(200);
      clock.advance(57_000);
      expect((await raw(sim, 'GET', '/v2/account')).headers.get('ratelimit-remaining')).toBe('6');
      expect(sim.state().counters.rateLimited).toBe(1);
    },
  );

  it('refuse past the hourly limit without retry-after', async () => {
    const clock = virtualClock();
    const sim = await simulator({ clock: clock.now, rateLimitPerMinute: null, rateLimitPerHour: 2 });
    await raw(sim, 'GET', '/v2/account');
    await raw(sim, 'GET', '/v2/account');
    const refused = await raw(sim, 'GET', '/v2/account');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBeNull();
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
  });
});

describe('simulated faults', () => {
  async function statuses(seed: number): Promise<(number | null)[]> {
    const sim = await simulator({ faults: { seed, serverErrorRate: 0.3, serverErrorBurstLength: 2 } });
    for (let i = 0; i < 30; i += 1) await raw(sim, 'GET', '/v2/account');
    return sim.state().requests.map((r) => r.status);
  }

  it('replay exactly with the same seed, and differ with another', async () => {
    const first = await statuses(42);
    expect(await statuses(42)).toEqual(first);
    expect(first.filter((s) => s !== 200).length).toBeGreaterThan(3);
    expect(await statuses(43)).not.toEqual(first);
  });

  it('include non-JSON bodies in 5xx bursts, and are logged and counted', async () => {
    const sim = await simulator({ faults: { seed: 7, serverErrorRate: 1 } });
    const replies = await Promise.all(Array.from({ length: 12 }, () => raw(sim, 'GET', '/v2/account')));
    expect(replies.every((r) => r.status >= 500)).toBe(true);
    expect(replies.some((r) => r.json === undefined && r.text.includes('<html>'))).toBe(true);
    expect(replies.some((r) => (r.json as { id?: string } | undefined)?.id === 'server_error')).toBe(true);
    expect(sim.state().requests.every((r) => r.fault?.startsWith('serverError:'))).toBe(true);
    expect(sim.state().counters.faultsInjected).toBe(12);
  });

  it('can be rearmed at runtime; a dropped POST still takes effect', async () => {
    const sim = await simulator({ droplets: [{ id: 7 }] });
    sim.configure({ faults: { dropNextPost: 1 } });
    await expect(post(sim, 7, { type: 'snapshot', name: 'dropped' })).rejects.toThrow();
    expect(sim.state().actions).toMatchObject([{ snapshotName: 'dropped', status: 'in-progress' }]);
    expect(sim.state().requests).toMatchObject([{ method: 'POST', status: null, fault: 'dropReplyAfterEffect' }]);
    expect(sim.state().counters.droppedReplies).toBe(1);
  });

  it('slow replies wait before answering', async () => {
    const sim = await simulator({ faults: { slowNextRequests: { count: 1, ms: 150 } } });
    const started = Date.now();
    expect((await raw(sim, 'GET', '/v2/account')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(sim.state().requests[0]?.fault).toBe('slowReply:150ms');
  });
});

describe('simulator inspection and start-up', () => {
  it('serves its state read-only at /__simulator/state without the tokens', async () => {
    const sim = await simulator({ tokens: ['sekrit-token'], readOnlyTokens: ['sekrit-read'] });
    await raw(sim, 'GET', '/v2/account', { token: 'sekrit-token' });
    await raw(sim, 'GET', '/v2/account', { token: 'sekrit-read' });
    const reply = await fetch(`${sim.url}${STATE_PATH}`);
    expect(reply.status).toBe(200);
    const text = await reply.text();
    expect(text).not.toContain('sekrit');
    const state = JSON.parse(text) as ReturnType<Sim['state']>;
    expect(state.requests.map((r) => [r.token, r.headers.authorization])).toEqual([
      ['tokens[0]', 'Bearer [tokens[0]]'],
      ['readOnlyTokens[0]', 'Bearer [readOnlyTokens[0]]'],
    ]);
    expect(state.droplets.map((d) => d.name)).toEqual(['web-01', 'web-02', 'db-01']);
    expect((await fetch(`${sim.url}${STATE_PATH}`, { method: 'POST' })).status).toBe(405);
  });

  it('loads a JSON config file and refuses a bad one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'arcadia-sim-'));
    const good = join(dir, 'good.json');
    writeFileSync(
      good,
      JSON.stringify({
        fleet: { count: 2, tag: 'x' },
        actionDurationMs: { snapshot: 100 },
        faults: { seed: 3, dropNextPost: 1 },
      }),
    );
    expect(loadSimulatorConfig(good)).toMatchObject({ fleet: { count: 2, tag: 'x' }, faults: { seed: 3 } });
    for (const [content, problem] of [
      ['{"snapshotLagMs": 1}', 'snapshotLagMs is not a known setting'],
      ['{"faults": {"serverErrorRate": 2}}', 'faults.serverErrorRate must be a rate'],
      ['{"droplets": [{"name": "no id"}]}', 'droplets must be'],
      ['[1]', 'JSON object'],
      ['{nope', 'cannot read'],
    ] as const) {
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, content);
      expect(() => loadSimulatorConfig(bad)).toThrow(ConfigError);
      expect(() => loadSimulatorConfig(bad)).toThrow(problem);
    }
  });

  it('runSimulatorServer prints the URL and the token to use', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'arcadia-sim-'));
    const config = join(dir, 'sim.json');
    writeFileSync(config, JSON.stringify({ fleet: { count: 4, tag: 'cron' } }));
    const lines: string[] = [];
    const sim = await runSimulatorServer({ port: 0, configPath: config }, (line) => lines.push(line));
    try {
      expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(lines.join('\n')).toContain(`ARCADIA_API_URL=${sim.url}`);
      expect(lines.join('\n')).toContain(`DIGITALOCEAN_ACCESS_TOKEN=${TOKEN}`);
      expect(lines[0]).toContain('4 droplets');
    } finally {
      await sim.close();
    }
  });
});
