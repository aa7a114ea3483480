import { afterEach, describe, expect, it } from 'vitest';
import { checkInvariants } from '../../tools/chaos/invariants.js';
import { readSqliteLedger } from '../../tools/chaos/ledger.js';
import { runArcadia } from '../../tools/chaos/process.js';
import { DEFAULT_SIMULATOR_TOKEN, type SimulatorConfigInput } from '../../src/simulator/index.js';
import { FAST_SIMULATOR, sandbox, type Sandbox } from '../e2e/harness.js';

/** Findings of `npm run chaos`, pinned down so they stay fixed. */

let box: Sandbox | undefined;
afterEach(async () => {
  await box?.cleanup();
  box = undefined;
});

async function setUp(config: SimulatorConfigInput, extraEnv: Record<string, string> = {}): Promise<Sandbox> {
  box = await sandbox(
    { ...FAST_SIMULATOR, droplets: [{ id: 1001, name: 'web-1' }], ...config },
    { ARCADIA_LOOKUP_ATTEMPTS: '60', ...extraEnv },
  );
  return box;
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 3000 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
}

describe('chaos findings', () => {
  it('a step retried after a transient error keeps its checkpointed action: one POST, one snapshot', async () => {
    // The action completes; while the step waits for its snapshot to be listed, one listing's retries run out.
    const box = await setUp(
      { actionDurationMs: { snapshot: 300 }, snapshotListingLagMs: 1000 },
      { ARCADIA_HTTP_RETRIES: '1' },
    );
    const run = runArcadia(['snapshot', '1001', '--json'], { env: box.env, hangMs: 60_000 });
    await until(() => box.sim.state().requests.some((r) => r.path === '/v2/droplets/1001/snapshots'));
    box.sim.configure({ faults: { failNextRequests: { status: 503, count: 2, method: 'GET' } } });
    const done = await run;
    expect(done.code, done.stderr).toBe(0);
    const state = box.sim.state();
    expect(state.actions.filter((a) => a.type === 'snapshot')).toHaveLength(1);
    expect(state.snapshots.filter((s) => s.name.startsWith('arcadia-snap-1001-'))).toHaveLength(1);
    expect(checkInvariants(readSqliteLedger(box.home), state)).toEqual([]);
  });

  it('a snapshot someone else is taking when arcadia posts (422) is waited for, not adopted', async () => {
    // Long enough that arcadia's start-up, even on a loaded machine, ends while the other snapshot is running.
    const box = await setUp({ actionDurationMs: { snapshot: 6000 }, snapshotListingLagMs: 100 });
    const byHand = await fetch(`${box.sim.url}/v2/droplets/1001/actions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEFAULT_SIMULATOR_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'snapshot', name: 'web-1-by-hand' }),
    });
    expect(byHand.status).toBe(201);
    const done = await runArcadia(['snapshot', '1001', '--json'], { env: box.env, hangMs: 60_000 });
    const state = box.sim.state();
    expect(
      state.requests.some((r) => r.method === 'POST' && r.status === 422),
      'arcadia posted while the droplet was busy',
    ).toBe(true);
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect((JSON.parse(done.stdout) as { status: string }[])[0]?.status).toBe('succeeded');
    expect(state.snapshots.filter((s) => s.name.startsWith('arcadia-snap-1001-') && s.deletedAt === null)).toHaveLength(
      1,
    );
    expect(state.snapshots.find((s) => s.name === 'web-1-by-hand')?.deletedAt).toBeNull();
    expect(checkInvariants(readSqliteLedger(box.home), state)).toEqual([]);
  });

  it(
    'a snapshot someone else starts right after our request failed (502) is set ' + 'aside once seen to make theirs',
    async () => {
      // Our POST gets a 502 that took no effect: its outcome is unknown, so arcadia looks for an action of its own. The
      // one it finds is someone else's, begun just after; once that action's snapshot is listed under another name,
      // arcadia must set it aside and take its own snapshot, not fail and end compensation_failed.
      const box = await setUp({ snapshotListingLagMs: 100 }, { ARCADIA_POLL_INTERVAL_MS: '1500' });
      box.sim.configure({ faults: { failNextRequests: { status: 502, count: 1, method: 'POST' } } });
      const run = runArcadia(['snapshot', '1001', '--json'], { env: box.env, hangMs: 60_000 });
      await until(() => box.sim.state().requests.some((r) => r.method === 'POST' && r.status === 502));
      const byHand = await fetch(`${box.sim.url}/v2/droplets/1001/actions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${DEFAULT_SIMULATOR_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'snapshot', name: 'web-1-by-hand' }),
      });
      expect(byHand.status).toBe(201);
      const done = await run;
      const state = box.sim.state();
      expect(done.code, done.stdout + done.stderr).toBe(0);
      expect((JSON.parse(done.stdout) as { status: string }[])[0]?.status).toBe('succeeded');
      const posts = state.requests
        .filter((r) => r.method === 'POST' && r.path === '/v2/droplets/1001/actions')
        .map((r) => r.status);
      expect(posts).toEqual([502, 201, 201]); // ours refused, theirs, ours again
      expect(
        state.snapshots.filter((s) => s.name.startsWith('arcadia-snap-1001-') && s.deletedAt === null),
      ).toHaveLength(1);
      expect(state.snapshots.find((s) => s.name === 'web-1-by-hand')?.deletedAt).toBeNull();
      const saga = readSqliteLedger(box.home)[0];
      expect(saga?.context.snapshot_foreign_action_ids).toHaveLength(1);
      expect(checkInvariants(readSqliteLedger(box.home), state)).toEqual([]);
    },
  );

  it(
    "two snapshot actions blurred into one second (ours with a lost reply, someone else's just before): one " +
      'snapshot, nothing set aside',
    async () => {
      // DigitalOcean stamps whole seconds. Here the simulator's clock runs at a tenth of real time from a whole second,
      // so someone else's snapshot and ours, moments apart, carry the same stamps: the listing cannot tell which action
      // made which snapshot, and arcadia must not conclude that its own action was someone else's.
      const start = Math.floor(Date.now() / 1000) * 1000;
      const realStart = Date.now();
      const box = await setUp({
        clock: () => start + (Date.now() - realStart) / 10,
        snapshotListingLagMs: 30,
        actionDurationMs: { snapshot: 10 },
      });
      const byHand = await fetch(`${box.sim.url}/v2/droplets/1001/actions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${DEFAULT_SIMULATOR_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'snapshot', name: 'web-1-by-hand' }),
      });
      expect(byHand.status).toBe(201);
      await until(() => box.sim.state().actions.every((a) => a.status === 'completed'));
      box.sim.configure({ faults: { dropNextPost: 1 } });
      const done = await runArcadia(['snapshot', '1001', '--json'], { env: box.env, hangMs: 60_000 });
      const state = box.sim.state();
      const stamps = new Set(state.actions.filter((a) => a.type === 'snapshot').map((a) => a.started_at));
      expect(stamps.size, 'both actions should carry the same second: the scenario was not reached').toBe(1);
      expect(done.code, done.stdout + done.stderr).toBe(0);
      expect((JSON.parse(done.stdout) as { status: string }[])[0]?.status).toBe('succeeded');
      expect(state.actions.filter((a) => a.type === 'snapshot')).toHaveLength(2); // theirs and our one request
      expect(
        state.snapshots.filter((s) => s.name.startsWith('arcadia-snap-1001-') && s.deletedAt === null),
      ).toHaveLength(1);
      expect(state.snapshots.find((s) => s.name === 'web-1-by-hand')?.deletedAt).toBeNull();
      expect(checkInvariants(readSqliteLedger(box.home), state)).toEqual([]);
    },
  );
});
