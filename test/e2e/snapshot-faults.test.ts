import { SMOKE_ARGS } from '../../tools/chaos/plan.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FAST_SIMULATOR,
  arcadia,
  invariantViolations,
  readSagas,
  sandbox,
  seededRandom,
  start,
  type Sandbox,
} from './harness.js';

let box: Sandbox | undefined;
afterEach(async () => {
  await box?.cleanup();
  box = undefined;
});

function live(b: Sandbox, dropletId: number): string[] {
  return b.sim
    .state()
    .snapshots.filter((s) => s.deletedAt === null && s.name.startsWith(`arcadia-snap-${dropletId}-`))
    .map((s) => s.name);
}

describe('snapshot under provider faults', () => {
  it('a dropped POST reply is reconciled, not re-posted: one action, one snapshot', async () => {
    box = await sandbox({ ...FAST_SIMULATOR, faults: { dropNextPost: 1 } });
    const run = await arcadia(['snapshot', '1001', '--json'], box.env);
    expect(run.code, run.stderr).toBe(0);
    const [entry] = JSON.parse(run.stdout) as { status: string; snapshotId: string }[];
    expect(entry?.status).toBe('succeeded');
    const state = box.sim.state();
    expect(state.actions.filter((a) => a.type === 'snapshot')).toHaveLength(1);
    expect(state.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(live(box, 1001)).toHaveLength(1);
    expect(invariantViolations(box.home, box.sim)).toEqual([]);
  });

  it('a 500 after the effect is reconciled the same way', async () => {
    box = await sandbox({ ...FAST_SIMULATOR, faults: { serverErrorAfterNextPost: 1 } });
    const run = await arcadia(['snapshot', '1001'], box.env);
    expect(run.code, run.stderr).toBe(0);
    expect(box.sim.state().actions.filter((a) => a.type === 'snapshot')).toHaveLength(1);
    expect(invariantViolations(box.home, box.sim)).toEqual([]);
  });

  it('an errored action fails the step with DigitalOcean words and rolls back', async () => {
    box = await sandbox({ ...FAST_SIMULATOR, faults: { errorNextActions: 1 } });
    const run = await arcadia(['snapshot', '1001', '--json'], box.env);
    expect(run.code).toBe(1);
    const [entry] = JSON.parse(run.stdout) as { status: string; error: string }[];
    expect(entry?.status).toBe('rolled_back');
    expect(entry?.error).toMatch(/errored/);
    expect(invariantViolations(box.home, box.sim)).toEqual([]);
  });

  it('a droplet busy with another action (422 pending event): waits, then takes exactly one snapshot', async () => {
    box = await sandbox({
      ...FAST_SIMULATOR,
      actionDurationMs: { power_on: 5000 },
      droplets: [{ id: 1001, name: 'web-1', status: 'off' }],
    });
    const busy = await fetch(`${box.sim.url}/v2/droplets/1001/actions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${box.env.DIGITALOCEAN_ACCESS_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'power_on' }),
    });
    expect(busy.status).toBe(201);
    const run = await arcadia(['snapshot', '1001'], box.env);
    expect(run.code, run.stderr).toBe(0);
    const state = box.sim.state();
    expect(state.requests.some((r) => r.method === 'POST' && r.status === 422)).toBe(true);
    expect(state.actions.filter((a) => a.type === 'snapshot')).toHaveLength(1);
    expect(invariantViolations(box.home, box.sim)).toEqual([]);
  });

  it('an action that completes after the step gave up waiting is still deleted by the rollback', async () => {
    box = await sandbox(
      { ...FAST_SIMULATOR, actionDurationMs: { snapshot: 1000 } },
      { ARCADIA_ACTION_TIMEOUT_MS: '600' },
    );
    const run = await arcadia(['snapshot', '1001', '--json'], box.env);
    expect(run.code, run.stderr).toBe(1);
    const [entry] = JSON.parse(run.stdout) as { status: string; error: string }[];
    expect(entry?.status).toBe('rolled_back');
    expect(entry?.error).toMatch(/still in progress/);
    const state = box.sim.state();
    expect(state.snapshots.filter((s) => s.name.startsWith('arcadia-snap-1001-'))).toHaveLength(1);
    expect(state.snapshots.every((s) => s.deletedAt !== null)).toBe(true);
    expect(invariantViolations(box.home, box.sim)).toEqual([]);
  });

  it('two sagas for the same droplet one after the other make two distinct snapshots', async () => {
    box = await sandbox();
    expect((await arcadia(['snapshot', '1001'], box.env)).code).toBe(0);
    expect((await arcadia(['snapshot', '1001'], box.env)).code).toBe(0);
    const names = live(box, 1001);
    expect(names).toHaveLength(2);
    expect(new Set(names).size).toBe(2);
    expect(invariantViolations(box.home, box.sim)).toEqual([]);
  });

  const random = seededRandom(7);
  const faulty = Array.from({ length: 12 }, (_, i) => ({
    i,
    smoke: i % 4 === 3,
    delay: Math.floor(random() * 900),
    faults:
      i % 2 === 0
        ? { seed: i + 1, dropPostReplyRate: 0.5, postServerErrorAfterEffectRate: 0.3 }
        : { seed: i + 1, serverErrorRate: 0.15, serverErrorBurstLength: 3 },
  }));
  for (const run of faulty) {
    const kind = 'dropPostReplyRate' in run.faults ? 'dropped/500 POST replies' : '5xx bursts';
    it(
      `run ${run.i}: ${kind}, ${run.smoke ? 'smoke saga' : 'snapshot'} killed after ${run.delay} ms, then ` + `resumed`,
      async () => {
        box = await sandbox({ ...FAST_SIMULATOR, faults: run.faults });
        const args = run.smoke ? SMOKE_ARGS(1001) : ['snapshot', '1001'];
        const { child, done } = start(args, box.env);
        await new Promise((r) => setTimeout(r, run.delay));
        child.kill('SIGKILL');
        await done;
        const resumed = await arcadia(['saga', 'resume', '--all'], box.env);
        expect([0, 1], resumed.stderr).toContain(resumed.code);
        expect(invariantViolations(box.home, box.sim)).toEqual([]);
        for (const saga of readSagas(box.home)) expect(['succeeded', 'rolled_back']).toContain(saga.status);
      },
    );
  }
});
