import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DrillReport } from '../../src/output/views/drill-view.js';
import { arcadia, FAST_SIMULATOR, invariantViolations, readSagas, sandbox, type Sandbox } from './harness.js';

/** A drill of a droplet's snapshot: created in 300 ms, invisible by id for 100 ms after the create. */
const DRILL_SIMULATOR = {
  ...FAST_SIMULATOR,
  droplets: [
    { id: 1001, name: 'web-1', tags: ['web'] },
    { id: 1002, name: 'web-2', tags: ['web'] },
    { id: 1003, name: 'web-3', tags: ['web'] },
    // Its snapshot needs a disk no size in arcadia's table has.
    { id: 1004, name: 'big-1', tags: ['big'], disk: 2000 },
  ],
  dropletCreateMs: 300,
  createdDropletNotFoundMs: 100,
};

let box: Sandbox;

beforeAll(async () => {
  box = await sandbox(DRILL_SIMULATOR);
  const snapshots = await arcadia(['snapshot', '1001', '1002'], box.env);
  expect(snapshots.code, snapshots.stderr).toBe(0);
});
afterAll(async () => {
  await box.cleanup();
});

async function drill(args: string[]): Promise<{ code: number | null; report: DrillReport; stderr: string }> {
  const result = await arcadia(['drill', ...args, '--json'], box.env);
  return { code: result.code, report: JSON.parse(result.stdout) as DrillReport, stderr: result.stderr };
}

/** The snapshot the one succeeded snapshot saga of a droplet recorded. */
function snapshotOf(dropletId: number): string {
  const saga = readSagas(box.home).find(
    (s) =>
      s.kind === 'snapshot' &&
      s.status === 'succeeded' &&
      s.context.__inputs__?.['droplet_provider_id' as never] === dropletId,
  );
  return String(saga?.context.snapshot_id);
}

/** Droplets the simulator has ever known that a POST created (the temporary ones), deleted or not. */
function created(): { id: number; deletedAt: string | null; tags: string[] }[] {
  return box.sim.state().dropletHistory.filter((d) => d.createdBy !== null);
}

describe('arcadia drill', () => {
  it(
    'restores the newest snapshot of one droplet (never ' + 'drilled, lowest id first), times it and deletes it',
    async () => {
      const { code, report, stderr } = await drill(['--tag', 'web']);
      expect(code, stderr).toBe(0);
      expect(report.drills).toHaveLength(1);
      const [only] = report.drills;
      expect(only).toMatchObject({
        dropletId: 1001,
        status: 'succeeded',
        snapshotId: snapshotOf(1001),
        resumed: false,
      });
      expect(only?.activeAfterMs).toBeGreaterThan(0);
      expect(only?.lifetimeMs).toBeGreaterThanOrEqual(only?.activeAfterMs ?? 0);
      expect(only?.sizeSlug).toBe('s-1vcpu-1gb');
      expect(only?.costUsd).toBe(0.01);
      expect(report.costUsd).toBe(0.01);
      expect(report.notSampled).toEqual([1002]);
      expect(report.notDrilled).toEqual([
        {
          dropletId: 1003,
          dropletName: 'web-3',
          reason: 'no arcadia snapshot of it in the ledger that the provider still lists',
        },
      ]);
      const temporary = created();
      expect(temporary).toHaveLength(1);
      expect(temporary[0]?.id).toBe(only?.restoredDropletId);
      expect(temporary[0]?.deletedAt).not.toBeNull();
      expect(temporary[0]?.tags).toEqual(expect.arrayContaining([`arcadia-saga-${only?.sagaId}`, 'arcadia-drill']));
      expect(invariantViolations(box.home, box.sim)).toEqual([]);
    },
  );

  it('next drills the droplet never drilled, then the one drilled longest ago', async () => {
    const second = await drill(['--tag', 'web']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.report.drills.map((d) => [d.dropletId, d.status])).toEqual([[1002, 'succeeded']]);
    const both = await drill(['1001', '1002', '--sample', '2']);
    expect(both.code, both.stderr).toBe(0);
    expect(both.report.drills.map((d) => [d.dropletId, d.status])).toEqual([
      [1001, 'succeeded'],
      [1002, 'succeeded'],
    ]);
    expect(both.report.costUsd).toBeCloseTo(0.02, 10);
    expect(created().every((d) => d.deletedAt !== null)).toBe(true);
    expect(invariantViolations(box.home, box.sim)).toEqual([]);
  });

  it('the summary on a pipe names the snapshot, the time to active and the cost', async () => {
    const result = await arcadia(['drill', '1001'], box.env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(
        `^droplet 1001: snapshot ${snapshotOf(1001)} restored, active after [0-9.]+m?s, cost \\$0\\.01 \\(saga `,
      ),
    );
    expect(result.stdout).toContain('1 restored, 0 failed, cost $0.01');
  });

  it('a drill that fails is rolled back with nothing left running, and exits 1', async () => {
    box.sim.configure({ faults: { errorNextActions: 1 } });
    const { code, report } = await drill(['1002']);
    expect(code).toBe(1);
    expect(report.drills.map((d) => [d.dropletId, d.status])).toEqual([[1002, 'rolled_back']]);
    expect(report.drills[0]?.error).toBeTruthy();
    expect(created().every((d) => d.deletedAt !== null)).toBe(true);
    expect(invariantViolations(box.home, box.sim)).toEqual([]);
  });

  it('a droplet without a snapshot is reported, not drilled, and the run exits 0', async () => {
    const { code, report } = await drill(['1003']);
    expect(code).toBe(0);
    expect(report.drills).toEqual([]);
    expect(report.notDrilled.map((d) => d.dropletId)).toEqual([1003]);
  });

  it(
    'a drill killed right after its create POST is finished ' + '(and counted) by the next run: one droplet, deleted',
    async () => {
      const killed = await arcadia(['drill', '1001'], { ...box.env, ARCADIA_FAILPOINTS: 'restore.after-post' });
      expect(killed.signal).toBe('SIGKILL');
      const orphan = readSagas(box.home).find((s) => s.kind === 'drill' && s.status === 'running');
      expect(orphan).toBeDefined();
      // The finished orphan is this run's drill of 1001 and fills its sample of one: 1002 waits for the next run.
      const next = await drill(['1001', '1002']);
      expect(next.code, next.stderr).toBe(0);
      expect(next.report.drills.map((d) => [d.dropletId, d.status, d.resumed])).toEqual([[1001, 'succeeded', true]]);
      expect(next.report.notSampled).toEqual([1002]);
      const other = await drill(['1002']);
      expect(other.report.drills.map((d) => [d.dropletId, d.status, d.resumed])).toEqual([[1002, 'succeeded', false]]);
      expect(created().filter((d) => d.tags.includes(`arcadia-saga-${orphan?.id}`))).toHaveLength(1);
      expect(created().every((d) => d.deletedAt !== null)).toBe(true);
      expect(invariantViolations(box.home, box.sim)).toEqual([]);
    },
  );

  it('a droplet whose snapshot no size fits is reported with the reason, not drilled', async () => {
    const snapshot = await arcadia(['snapshot', '1004'], box.env);
    expect(snapshot.code, snapshot.stderr).toBe(0);
    const before = created().length;
    const { code, report } = await drill(['--tag', 'big']);
    expect(code).toBe(0);
    expect(report.drills).toEqual([]);
    expect(report.notDrilled).toMatchObject([{ dropletId: 1004, dropletName: 'big-1' }]);
    expect(report.notDrilled[0]?.reason).toMatch(/2000/);
    expect(created()).toHaveLength(before);
  });

  it('bad input exits 2 before anything is made', async () => {
    const before = created().length;
    for (const args of [[], ['web-1'], ['1001', '--sample', '0'], ['--tag', 'no such tag!']]) {
      const result = await arcadia(['drill', ...args], box.env);
      expect(result.code, args.join(' ')).toBe(2);
    }
    expect(created()).toHaveLength(before);
  });

  it('check --drill-warn reads the drills it recorded', async () => {
    const result = await arcadia(['check', '1001', '1002', '1003', '--drill-warn', '8d'], box.env);
    // 1003 has no snapshot: CRITICAL anyway; its never-run drill warns beside it.
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/drill_age_1001=\d+s;691200 drill_age_1002=\d+s;691200 drill_age_1003=U;691200/);
    expect(result.stdout).toMatch(
      /OK: droplet 1001 \(web-1\): last drill \d+s ago \(snapshot \d+ restored, active after [\d.]+m?s\)/,
    );
    expect(result.stdout).toContain('WARNING: droplet 1003: never drilled');
  });
});
