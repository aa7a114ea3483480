import { afterEach, describe, expect, it } from 'vitest';
import { FAST_SIMULATOR, arcadia, invariantViolations, readSagas, sandbox, type Sandbox } from './harness.js';

let box: Sandbox | undefined;
afterEach(async () => {
  await box?.cleanup();
  box = undefined;
});

function actionTypes(b: Sandbox, dropletId: number): string[] {
  return b.sim
    .state()
    .actions.filter((a) => a.resource_id === dropletId)
    .sort((x, y) => x.id - y.id)
    .map((a) => a.type);
}

function status(b: Sandbox, dropletId: number): string | undefined {
  return b.sim.state().droplets.find((d) => d.id === dropletId)?.status;
}

const SHORT_SHUTDOWN = { ARCADIA_SHUTDOWN_TIMEOUT_MS: '400' };

describe('snapshot --power-off', () => {
  it('shuts down gracefully, snapshots, powers back on', async () => {
    box = await sandbox(FAST_SIMULATOR, SHORT_SHUTDOWN);
    const run = await arcadia(['snapshot', '1001', '--power-off', '--json'], box.env);
    expect(run.code, run.stderr).toBe(0);
    expect(actionTypes(box, 1001)).toEqual(['shutdown', 'snapshot', 'power_on']);
    expect(status(box, 1001)).toBe('active');
    const [saga] = readSagas(box.home);
    expect(saga?.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'power_off_droplet:succeeded',
      'create_droplet_snapshot:succeeded',
      'power_on_droplet:succeeded',
    ]);
    expect(invariantViolations(box.home, box.sim)).toEqual([]);
  });

  it('cuts the power when a graceful shutdown is ignored', async () => {
    box = await sandbox({ ...FAST_SIMULATOR, shutdownIgnoredRate: 1 }, SHORT_SHUTDOWN);
    const run = await arcadia(['snapshot', '1001', '--power-off'], box.env);
    expect(run.code, run.stderr).toBe(0);
    expect(actionTypes(box, 1001)).toEqual(['shutdown', 'power_off', 'snapshot', 'power_on']);
    expect(status(box, 1001)).toBe('active');
  });

  it('leaves a droplet that was already off, off', async () => {
    box = await sandbox({ ...FAST_SIMULATOR, droplets: [{ id: 1001, name: 'cold', status: 'off' }] }, SHORT_SHUTDOWN);
    const run = await arcadia(['snapshot', '1001', '--power-off'], box.env);
    expect(run.code, run.stderr).toBe(0);
    expect(actionTypes(box, 1001)).toEqual(['snapshot']);
    expect(status(box, 1001)).toBe('off');
  });

  it('powers the droplet back on when the snapshot fails, and leaves no snapshot', async () => {
    box = await sandbox({ ...FAST_SIMULATOR, faults: { errorNextActions: 0 } }, SHORT_SHUTDOWN);
    // The shutdown succeeds; the snapshot action is made to end errored.
    const run = arcadia(['snapshot', '1001', '--power-off', '--json'], box.env);
    let armed = false;
    const poll = setInterval(() => {
      const types = box?.sim.state().actions.map((a) => a.type) ?? [];
      if (!armed && types.includes('shutdown')) {
        armed = true;
        box?.sim.configure({ faults: { errorNextActions: 1 } });
      }
    }, 10);
    const done = await run;
    clearInterval(poll);
    expect(done.code, done.stderr).toBe(1);
    expect(actionTypes(box, 1001)).toEqual(['shutdown', 'snapshot', 'power_on']);
    expect(status(box, 1001)).toBe('active');
    const [saga] = readSagas(box.home);
    expect(saga?.status).toBe('rolled_back');
    expect(saga?.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'power_off_droplet:compensated',
      'create_droplet_snapshot:failed',
      'power_on_droplet:pending',
    ]);
    expect(invariantViolations(box.home, box.sim)).toEqual([]);
  });

  it('is resumable after a kill while the droplet is off: it ends powered on with one snapshot', async () => {
    box = await sandbox(FAST_SIMULATOR, SHORT_SHUTDOWN);
    const crashed = await arcadia(['snapshot', '1001', '--power-off'], {
      ...box.env,
      ARCADIA_FAILPOINTS: 'snapshot.after-post',
    });
    expect(crashed.signal).toBe('SIGKILL');
    const resumed = await arcadia(['saga', 'resume', '--all'], box.env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(status(box, 1001)).toBe('active');
    expect(invariantViolations(box.home, box.sim)).toEqual([]);
  });
});
