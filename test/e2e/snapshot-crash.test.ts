import { SMOKE_ARGS } from '../../tools/chaos/plan.js';
import { afterEach, describe, expect, it } from 'vitest';
import { arcadia, invariantViolations, readSagas, sandbox, seededRandom, start, type Sandbox } from './harness.js';

let box: Sandbox | undefined;
afterEach(async () => {
  await box?.cleanup();
  box = undefined;
});

const SNAPSHOT = ['snapshot', '1001'];
const SMOKE = SMOKE_ARGS(1001);

/** Runs `args` with a failpoint armed, expects the SIGKILL, resumes everything, then checks every promise. */
async function crashAndResume(args: string[], point: string): Promise<{ status: string | undefined }> {
  box = await sandbox();
  const crashed = await arcadia(args, { ...box.env, ARCADIA_FAILPOINTS: point });
  expect(crashed.signal, `${point}: ${crashed.stderr}`).toBe('SIGKILL');
  const resumed = await arcadia(['saga', 'resume', '--all'], box.env);
  expect([0, 1], resumed.stderr).toContain(resumed.code);
  expect(invariantViolations(box.home, box.sim)).toEqual([]);
  const sagas = readSagas(box.home);
  expect(sagas).toHaveLength(1);
  return { status: sagas[0]?.status };
}

describe('crash matrix: SIGKILL at a named point, then saga resume --all', () => {
  const forward: [string, string][] = [
    ['before the POST (intent and posting marker recorded)', 'snapshot.before-post'],
    ['right after the POST, before its action id is checkpointed', 'snapshot.after-post'],
    ['right after the action id checkpoint', 'snapshot.after-checkpoint'],
    ['during polling', 'action.polled'],
    ['while the watcher holds a listing of finished actions no saga has recorded', 'watcher.actions-listed'],
    ['while the watcher holds a snapshot listing no saga has recorded', 'watcher.snapshots-listed'],
    ['after completion, before the lookup', 'snapshot.after-complete'],
    ['during the lookup (listing lag)', 'snapshot.lookup-missed'],
    ['after the snapshot was found, before it is recorded', 'runner.step-returned'],
    ['after the result was recorded', 'runner.step-recorded'],
  ];
  for (const [when, point] of forward) {
    it(`snapshot succeeds with exactly one snapshot: ${when}`, async () => {
      expect((await crashAndResume(SNAPSHOT, point)).status).toBe('succeeded');
      expect(box?.sim.state().snapshots.filter((s) => s.name.startsWith('arcadia-snap-1001-'))).toHaveLength(1);
    });
  }

  const rollback: [string, string][] = [
    ['right after the POST, before the checkpoint', 'snapshot.after-post'],
    ['during compensation, before the delete', 'snapshot.compensate-before-delete'],
    ['during compensation, after the delete', 'snapshot.compensate-after-delete'],
  ];
  for (const [when, point] of rollback) {
    it(`smoke saga rolls back leaving nothing: ${when}`, async () => {
      expect((await crashAndResume(SMOKE, point)).status).toBe('rolled_back');
      const state = box?.sim.state();
      expect(state?.snapshots.filter((s) => s.deletedAt === null && s.name.startsWith('arcadia-snap-'))).toEqual([]);
    });
  }
});

describe('random-instant SIGKILLs (seeded)', () => {
  const random = seededRandom(20261126);
  const runs = Array.from({ length: 30 }, (_, i) => ({ i, smoke: i % 3 === 2, delay: Math.floor(random() * 900) }));
  for (const run of runs) {
    it(`run ${run.i}: ${run.smoke ? 'smoke saga' : 'snapshot'} killed after ${run.delay} ms`, async () => {
      box = await sandbox();
      const { child, done } = start(run.smoke ? SMOKE : SNAPSHOT, box.env);
      await new Promise((r) => setTimeout(r, run.delay));
      child.kill('SIGKILL');
      await done;
      const resumed = await arcadia(['saga', 'resume', '--all'], box.env);
      expect([0, 1], resumed.stderr).toContain(resumed.code);
      expect(invariantViolations(box.home, box.sim)).toEqual([]);
      for (const saga of readSagas(box.home)) expect(saga.status).toBe(run.smoke ? 'rolled_back' : 'succeeded');
    });
  }
});
