import { afterEach, describe, expect, it } from 'vitest';
import { arcadia, readSagas, sandbox, seededRandom, start, type Sandbox } from './harness.js';
import {
  DRILL,
  liveRestored,
  RESTORE,
  RESTORE_SIMULATOR,
  RESTORE_SMOKE,
  restoreViolations,
} from './restore-fixtures.js';

let box: Sandbox | undefined;
afterEach(async () => {
  await box?.cleanup();
  box = undefined;
});

/** Runs `args` with a failpoint armed, expects the SIGKILL, resumes everything, then checks every promise. */
async function crashAndResume(args: string[], point: string): Promise<string | undefined> {
  box = await sandbox(RESTORE_SIMULATOR);
  const crashed = await arcadia(args, { ...box.env, ARCADIA_FAILPOINTS: point });
  expect(crashed.signal, `${point}: ${crashed.stderr}`).toBe('SIGKILL');
  const resumed = await arcadia(['saga', 'resume', '--all'], box.env);
  expect([0, 1], resumed.stderr).toContain(resumed.code);
  expect(restoreViolations(box)).toEqual([]);
  const sagas = readSagas(box.home);
  expect(sagas).toHaveLength(1);
  return sagas[0]?.status;
}

describe('restore crash matrix: SIGKILL at a named point, then saga resume --all', () => {
  const forward: [string, string][] = [
    ['before the POST (name, tag and request time recorded)', 'restore.before-post'],
    ['right after the POST, before the droplet id is checkpointed', 'restore.after-post'],
    ['right after the droplet id checkpoint', 'restore.after-checkpoint'],
    ['while waiting for the droplet to be active', 'restore.wait-polled'],
    ['after a step returned, before its result is recorded', 'runner.step-returned'],
    ['after a step result was recorded', 'runner.step-recorded'],
  ];
  for (const [when, point] of forward) {
    it(`restore succeeds with exactly one droplet: ${when}`, async () => {
      expect(await crashAndResume(RESTORE, point)).toBe('succeeded');
      expect(liveRestored(box as Sandbox)).toHaveLength(1);
    });
  }

  const rollback: [string, string][] = [
    ['right after the POST, before the checkpoint', 'restore.after-post'],
    ['while waiting for the droplet to be active', 'restore.wait-polled'],
    ['during compensation, before the delete', 'restore.compensate-before-delete'],
    ['during compensation, after the delete', 'restore.compensate-after-delete'],
  ];
  for (const [when, point] of rollback) {
    it(`a failing restore rolls back leaving no droplet: ${when}`, async () => {
      expect(await crashAndResume(RESTORE_SMOKE, point)).toBe('rolled_back');
      expect(liveRestored(box as Sandbox)).toEqual([]);
    });
  }

  const drill: [string, string][] = [
    ['right after the POST, before the checkpoint', 'restore.after-post'],
    ['before the DELETE', 'restore.delete-before'],
    ['after the DELETE, before waiting for it to be gone', 'restore.delete-after'],
  ];
  for (const [when, point] of drill) {
    it(`a drill ends with its droplet deleted: ${when}`, async () => {
      expect(await crashAndResume(DRILL, point)).toBe('succeeded');
      expect(liveRestored(box as Sandbox)).toEqual([]);
    });
  }

  it('SIGKILL before the POST, then again while the resume looks the tag up: still one droplet', async () => {
    box = await sandbox(RESTORE_SIMULATOR);
    expect((await arcadia(RESTORE, { ...box.env, ARCADIA_FAILPOINTS: 'restore.before-post' })).signal).toBe('SIGKILL');
    const again = await arcadia(['saga', 'resume', '--all'], {
      ...box.env,
      ARCADIA_FAILPOINTS: 'restore.lookup-missed',
    });
    expect(again.signal, again.stderr).toBe('SIGKILL');
    const resumed = await arcadia(['saga', 'resume', '--all'], box.env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readSagas(box.home)[0]?.status).toBe('succeeded');
    expect(liveRestored(box)).toHaveLength(1);
    expect(restoreViolations(box)).toEqual([]);
  });

  it('SIGKILL right after the POST, then saga cancel: the unrecorded droplet is found by tag and deleted', async () => {
    box = await sandbox(RESTORE_SIMULATOR);
    const crashed = await arcadia(RESTORE, { ...box.env, ARCADIA_FAILPOINTS: 'restore.after-post' });
    expect(crashed.signal).toBe('SIGKILL');
    const [saga] = readSagas(box.home);
    const cancelled = await arcadia(['saga', 'cancel', saga?.id ?? ''], box.env);
    expect([0, 1], cancelled.stderr).toContain(cancelled.code);
    expect(readSagas(box.home)[0]?.status).toBe('cancelled');
    expect(liveRestored(box)).toEqual([]);
    expect(restoreViolations(box)).toEqual([]);
  });
});

describe('restores with lost replies', () => {
  const faults: [string, Record<string, number>][] = [
    ['the create reply dropped', { dropNextPost: 1 }],
    ['a 500 after the create', { serverErrorAfterNextPost: 1 }],
    ['the create reply dropped twice', { dropNextPost: 2 }],
  ];
  for (const [what, fault] of faults) {
    it(`${what}: one droplet, adopted by its tag, one POST per lost reply at most`, async () => {
      box = await sandbox({ ...RESTORE_SIMULATOR, faults: fault });
      const run = await arcadia([...RESTORE, '--json'], box.env);
      expect(run.code, run.stderr).toBe(0);
      const posts = box.sim.state().requests.filter((r) => r.method === 'POST' && r.path === '/v2/droplets');
      expect(posts).toHaveLength(1);
      expect(liveRestored(box)).toHaveLength(1);
      expect(readSagas(box.home)[0]?.context.restore_adopted).toBe(true);
      expect(restoreViolations(box)).toEqual([]);
    });
  }

  it('a drill whose DELETE reply is lost still ends with the droplet gone', async () => {
    box = await sandbox({ ...RESTORE_SIMULATOR, faults: { dropNextDelete: 1 } });
    const run = await arcadia(DRILL, box.env);
    expect(run.code, run.stderr).toBe(0);
    expect(liveRestored(box)).toEqual([]);
    expect(restoreViolations(box)).toEqual([]);
  });
});

describe('restores killed at random instants (seeded)', () => {
  const random = seededRandom(20261201);
  const kinds = [RESTORE, RESTORE_SMOKE, DRILL] as const;
  const runs = Array.from({ length: 24 }, (_, i) => ({ i, kind: i % 3, delay: Math.floor(random() * 1200) }));
  const expected = ['succeeded', 'rolled_back', 'succeeded'];
  const names = ['restore', 'failing restore', 'drill'];
  for (const run of runs) {
    it(`run ${run.i}: ${names[run.kind]} killed after ${run.delay} ms`, async () => {
      box = await sandbox(RESTORE_SIMULATOR);
      const { child, done } = start([...(kinds[run.kind] ?? RESTORE)], box.env);
      await new Promise((r) => setTimeout(r, run.delay));
      child.kill('SIGKILL');
      await done;
      const resumed = await arcadia(['saga', 'resume', '--all'], box.env);
      expect([0, 1], resumed.stderr).toContain(resumed.code);
      expect(restoreViolations(box)).toEqual([]);
      for (const saga of readSagas(box.home)) expect(saga.status).toBe(expected[run.kind]);
      expect(liveRestored(box)).toHaveLength(run.kind === 0 && readSagas(box.home).length > 0 ? 1 : 0);
    });
  }
});
