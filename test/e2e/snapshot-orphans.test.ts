import { afterEach, describe, expect, it } from 'vitest';
import { newSaga, withLedger } from '../helpers/ledger.js';
import { arcadia, invariantViolations, readSagas, sandbox, type Sandbox } from './harness.js';

let box: Sandbox | undefined;
afterEach(async () => {
  await box?.cleanup();
  box = undefined;
});

interface Entry {
  dropletId: number;
  sagaId: string | null;
  status: string;
  snapshotId: string | null;
  snapshotName: string | null;
  error: string | null;
  resumed: boolean;
}

function entries(stdout: string): Entry[] {
  return JSON.parse(stdout) as Entry[];
}

describe('sagas an earlier run left behind, driven by the next snapshot run', () => {
  it('an orphan of another droplet that rolls back: in the JSON, marked resumed, and in the exit code', async () => {
    box = await sandbox();
    const crashed = await arcadia(['snapshot', '1002'], { ...box.env, ARCADIA_FAILPOINTS: 'snapshot.before-post' });
    expect(crashed.signal, crashed.stderr).toBe('SIGKILL');
    // The orphan's snapshot action, posted when the next run resumes it, ends errored: the orphan rolls back.
    box.sim.configure({ faults: { errorNextActions: 1 } });
    const run = await arcadia(['snapshot', '1001', '--json'], box.env);
    expect(run.code, run.stderr).toBe(1);
    const byDroplet = new Map(entries(run.stdout).map((e) => [e.dropletId, e]));
    expect([...byDroplet.keys()]).toEqual([1001, 1002]);
    expect(byDroplet.get(1001)).toMatchObject({ status: 'succeeded', resumed: false });
    expect(byDroplet.get(1002)).toMatchObject({ status: 'rolled_back', resumed: true, snapshotId: null });
    expect(byDroplet.get(1002)?.error).toMatch(/errored/);
    const orphan = readSagas(box.home).find((s) => s.id === byDroplet.get(1002)?.sagaId);
    expect(orphan?.status).toBe('rolled_back');
    expect(invariantViolations(box.home, box.sim)).toEqual([]);
  });

  it('--detach reports its sagas as pending, exit 0, and says how to run them', async () => {
    box = await sandbox();
    const json = await arcadia(['snapshot', '1001', '1002', '--detach', '--json'], box.env);
    expect(json.code, json.stderr).toBe(0);
    expect(entries(json.stdout).map((e) => e.status)).toEqual(['pending', 'pending']);
    const table = await arcadia(['snapshot', '1001', '1002', '--detach'], box.env);
    expect(table.code, table.stderr).toBe(0);
    const summary = /0 succeeded, 0 failed, 0 skipped; 2 pending \(run them with: arcadia saga resume --all\)/;
    expect(table.stdout).toMatch(summary);
    const one = await arcadia(['snapshot', '1001', '--detach'], box.env);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/droplet 1001: pending \(saga [0-9a-f-]{36}\); run it with: arcadia saga resume --all/);
    expect(box.sim.state().actions).toEqual([]);
  });

  it('the next plain run for another droplet says it ran the detached saga, in its table and its counts', async () => {
    box = await sandbox();
    const detached = await arcadia(['snapshot', '1002', '--detach', '--json'], box.env);
    expect(detached.code, detached.stderr).toBe(0);
    const [pending] = entries(detached.stdout);
    const run = await arcadia(['snapshot', '1001'], box.env);
    expect(run.code, run.stderr).toBe(0);
    const row = run.stdout.split('\n').find((line) => line.startsWith('1002 '));
    expect(row).toMatch(/^1002 +succeeded \(resumed\) +\d+ +arcadia-snap-1002-/);
    expect(row).toContain(pending?.sagaId);
    expect(run.stdout).toMatch(/2 succeeded, 0 failed, 0 skipped; 1 of these resumed from an earlier run/);
    const sagas = readSagas(box.home);
    expect(sagas.map((s) => s.status)).toEqual(['succeeded', 'succeeded']);
    expect(invariantViolations(box.home, box.sim)).toEqual([]);
  });

  it('an orphan this version refuses (a plan arcadia would not build) is named, untouched, and exits 4', async () => {
    box = await sandbox();
    const forged = newSaga({
      kind: 'snapshot',
      stepNames: ['power_off_droplet'],
      inputs: { droplet_provider_id: 1002 },
    });
    withLedger(box.home, ({ core }) => core.createSaga(forged, Date.now()));
    const run = await arcadia(['snapshot', '1001', '--json'], box.env);
    expect(run.code, run.stderr).toBe(4);
    const byDroplet = new Map(entries(run.stdout).map((e) => [e.dropletId, e]));
    expect(byDroplet.get(1001)).toMatchObject({ status: 'succeeded' });
    expect(byDroplet.get(1002)).toMatchObject({ sagaId: forged.id, status: 'interrupted' });
    expect(byDroplet.get(1002)?.error).toMatch(/matches no saga arcadia builds/);
    expect(readSagas(box.home).find((s) => s.id === forged.id)).toMatchObject({ status: 'pending' });
    expect(box.sim.state().droplets.find((d) => d.id === 1002)?.status).toBe('active');
  });
});
