import { afterEach, describe, expect, it } from 'vitest';
import type { SimulatorConfigInput } from '../../src/simulator/index.js';
import { waitFor } from '../helpers/arcadia.js';
import { FAST_SIMULATOR, arcadia, start } from './harness.js';
import { arcadiaSnapshotsByDroplet, twoHosts, type SnapshotEntry, type TwoHosts } from './multi-host-harness.js';

/**
 * Issue 12: two bastions (two homes, two host ids) drive one fleet through one PostgreSQL ledger. Between them every
 * droplet gets exactly one snapshot, whichever of them plans, dies, freezes or finishes it.
 */

/** Short for the takeover tests, yet long enough that a loaded machine's late heartbeat is not taken for death. */
const STALE_MS = 3000;
const ENV = { ARCADIA_LOCK_STALE_MS: String(STALE_MS), ARCADIA_HEARTBEAT_MS: '100' };
/** Where no takeover is wanted: only a live owner's sagas are in play. */
const LIVE_ENV = { ARCADIA_LOCK_STALE_MS: '20000', ARCADIA_HEARTBEAT_MS: '100' };
const FLEET: SimulatorConfigInput = {
  ...FAST_SIMULATOR,
  droplets: [],
  fleet: { count: 4, tag: 'web', firstId: 5000 },
  actionDurationMs: { snapshot: 1500 },
};
const BATCH = ['snapshot', '--tag', 'web', '--concurrency', '4', '--json'];

let hosts: TwoHosts | undefined;
afterEach(async () => {
  await hosts?.cleanup();
  hosts = undefined;
});

const snapshotActions = (h: TwoHosts): number => h.sim.state().actions.filter((a) => a.type === 'snapshot').length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function expectOneSnapshotPerDroplet(h: TwoHosts, droplets: number): void {
  const live = arcadiaSnapshotsByDroplet(h.sim);
  expect(live.size).toBe(droplets);
  for (const names of live.values()) expect(names).toHaveLength(1);
  expect(snapshotActions(h)).toBe(droplets);
}

describe('two hosts on one PostgreSQL ledger', { timeout: 60_000 }, () => {
  it('a batch over a tag another host is running: every droplet skipped, naming that host', async () => {
    // Snapshots slow enough that the first batch is still running when the second has started and planned.
    const h = (hosts = await twoHosts({ ...FLEET, actionDurationMs: { snapshot: 5000 } }, LIVE_ENV));
    const first = start(BATCH, h.a.env);
    // Every saga of the first host holds its lease once its snapshot is posted.
    await waitFor(() => snapshotActions(h) === 4, { what: "the first host's four snapshot POSTs", intervalMs: 10 });
    const second = await arcadia(BATCH, h.b.env);
    const firstDone = await first.done;

    expect(firstDone.code, firstDone.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(0);
    const entries = JSON.parse(second.stdout) as SnapshotEntry[];
    expect(entries.map((e) => e.status)).toEqual(['skipped', 'skipped', 'skipped', 'skipped']);
    for (const e of entries) expect(e.error).toMatch(/already snapshotting this droplet \(pid \d+ on bastion-a\)/);
    const sagas = await h.sagas();
    expect(sagas.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(new Set(entries.map((e) => e.sagaId))).toEqual(new Set(sagas.map((s) => s.id)));
    expectOneSnapshotPerDroplet(h, 4);
    expect(await h.violations()).toEqual([]);
  });

  it('two batches started together: one saga and one snapshot per droplet between them', async () => {
    const h = (hosts = await twoHosts(FLEET, LIVE_ENV));
    const [a, b] = await Promise.all([arcadia(BATCH, h.a.env), arcadia(BATCH, h.b.env)]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const outcomes = [...(JSON.parse(a.stdout) as SnapshotEntry[]), ...(JSON.parse(b.stdout) as SnapshotEntry[])];
    for (const dropletId of [5000, 5001, 5002, 5003]) {
      const mine = outcomes.filter((e) => e.dropletId === dropletId).map((e) => e.status);
      expect(mine.sort()).toEqual(['skipped', 'succeeded']);
    }
    expect(await h.sagas()).toHaveLength(4);
    expectOneSnapshotPerDroplet(h, 4);
    expect(await h.violations()).toEqual([]);
  });

  it('a host SIGKILLed mid-batch: the other takes its sagas over after the stale time, once each', async () => {
    const h = (hosts = await twoHosts(FLEET, ENV));
    const killed = start(['snapshot', '--tag', 'web', '--concurrency', '2', '--json'], h.a.env);
    await waitFor(() => snapshotActions(h) === 2, { what: 'two snapshot POSTs', intervalMs: 5 });
    killed.child.kill('SIGKILL');
    expect((await killed.done).signal).toBe('SIGKILL');
    const before = await h.sagas();
    expect(before.filter((s) => s.status === 'running')).toHaveLength(2);
    expect(before.filter((s) => s.status === 'pending')).toHaveLength(2);

    await sleep(STALE_MS + 300); // the dead host's heartbeats (sagas and batch) are then older than the stale time
    const successor = await arcadia(['saga', 'resume', '--all', '--json'], h.b.env);
    expect(successor.code, successor.stderr).toBe(0);

    const after = await h.sagas();
    expect(after.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    // The two the dead host had started were taken over (a second epoch), by bastion-b as their events say.
    const takenOver = after.filter((s) => s.leaseEpoch === 2);
    expect(takenOver.map((s) => s.id).sort()).toEqual(
      before
        .filter((s) => s.status === 'running')
        .map((s) => s.id)
        .sort(),
    );
    for (const saga of takenOver) expect(JSON.stringify(saga.events)).toMatch(/bastion-a has not beaten/);
    expectOneSnapshotPerDroplet(h, 4);
    expect(await h.violations()).toEqual([]);
  });

  it(
    'a host SIGSTOPped past the stale time and continued: fenced, it writes and sends nothing',
    { timeout: 90_000 },
    async () => {
      // Its first POST waits out a 429 long enough for the whole takeover to happen inside it.
      const faults = { failNextRequests: { status: 429, count: 1, method: 'POST' as const, retryAfterSeconds: 8 } };
      const h = (hosts = await twoHosts({ ...FAST_SIMULATOR, faults }, ENV));
      const paused = start(['snapshot', '1001', '--json'], h.a.env);
      const held = (): boolean => h.sim.state().requests.some((r) => r.method === 'POST' && r.status === 429);
      await waitFor(held, { what: 'the held POST', intervalMs: 5 });
      paused.child.kill('SIGSTOP');
      await sleep(STALE_MS + 300);

      const successor = await arcadia(['saga', 'resume', '--all', '--json'], h.b.env);
      expect(successor.code, successor.stderr).toBe(0);
      const requestsBefore = h.sim.state().requests.length;
      const ledgerBefore = await h.sagas();

      paused.child.kill('SIGCONT');
      const woken = await paused.done;
      // Fenced by the epoch, or, when the stop caught it inside a transaction (its heartbeat's), by the server
      // having ended that session: either way it stops without a write or a request.
      expect(woken.stderr + woken.stdout).toMatch(
        /lease epoch 1 was taken over by another executor|ledger_unavailable/,
      );
      expect(h.sim.state().requests.slice(requestsBefore)).toEqual([]);
      expect(await h.sagas()).toEqual(ledgerBefore);
      const [saga] = ledgerBefore;
      expect(saga).toMatchObject({ status: 'succeeded', leaseEpoch: 2 });
      expectOneSnapshotPerDroplet(h, 1);
      expect(await h.violations()).toEqual([]);
    },
  );
});
