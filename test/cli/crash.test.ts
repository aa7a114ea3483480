import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockPath } from '../../src/engine/lock.js';
import type { SagaEvent, SagaRecord } from '../../src/engine/types.js';
import { parseJsonOutput, runArcadia, spawnArcadia, waitFor } from '../helpers/arcadia.js';
import { cliBackends } from '../helpers/ledger-backends.js';

/**
 * A real `arcadia` process is SIGKILLed at several points of a saga of sleep steps (exact points through
 * ARCADIA_FAILPOINTS, and mid-step from outside), resumed each time, and must end with every step executed to
 * completion exactly once as far as the ledger can tell.
 */

const STEPS = 5;
const SLEEP_MS = 400;

function succeededOnce(events: SagaEvent[]): number[] {
  return Array.from(
    { length: STEPS },
    (_, idx) => events.filter((e) => e.stepIdx === idx && e.from === 'running' && e.to === 'succeeded').length,
  );
}

// The backends run at once: the test mostly waits on its steps' sleeps.
describe.concurrent.each(cliBackends())('crash and resume ($name)', (backend) => {
  it('finishes a saga killed at several points, each step recorded succeeded exactly once and in order', async (t) => {
    const { home, env, ledger, lease } = await backend.open(t);
    // On SQLite the observer reads alongside the children in WAL mode, blocking nobody.
    const observer = await ledger();
    const look = async (): Promise<SagaRecord | undefined> => {
      const [only] = await observer.listSagas({});
      return only ? observer.getSaga(only.id) : undefined;
    };
    const stepArgs = Array.from({ length: STEPS }, () => ['--step', 'sleep']).flat();

    // 1. The starting process dies right after step 1 returned, before its result was written.
    const starter = spawnArcadia(['saga', 'start', '--kind', 'test', ...stepArgs, '--input', `sleep_ms=${SLEEP_MS}`], {
      home,
      env: { ...env, ARCADIA_FAILPOINTS: 'runner.step-returned@2' },
      test: t,
    });
    const first = await starter.done;
    expect(first.signal).toBe('SIGKILL');
    const afterFirst = (await look())!;
    expect(afterFirst.status).toBe('running');
    expect(afterFirst.steps.map((s) => s.status)).toEqual(['succeeded', 'running', 'pending', 'pending', 'pending']);
    const id = afterFirst.id;
    // The dead executor's lease is still held: its lock file, or its row's owner columns.
    expect(await lease(id)).toMatchObject({ pid: starter.pid, epoch: 1 });
    if (backend.name === 'sqlite') {
      expect(statSync(lockPath(join(home, 'locks'), id)).mode & 0o777).toBe(0o600);
      expect(statSync(join(home, 'arcadia.db')).mode & 0o777).toBe(0o600);
    }

    // 2. A resume is killed from outside in the middle of a later step's sleep.
    const second = spawnArcadia(['saga', 'resume', id], { home, env, test: t });
    await waitFor(async () => (await look())?.steps[2]?.status === 'running', {
      what: 'step 2 to start',
      timeoutMs: 30_000,
    });
    await new Promise((r) => setTimeout(r, SLEEP_MS / 4));
    const killed = await second.kill('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    const afterSecond = (await look())!;
    expect(afterSecond.status).toBe('running');
    expect(afterSecond.steps.slice(0, 2).map((s) => s.status)).toEqual(['succeeded', 'succeeded']);

    // 3. `resume --all` dies right after writing a step's result (and the next step's intent).
    const third = await runArcadia(['saga', 'resume', '--all'], {
      home,
      env: { ...env, ARCADIA_FAILPOINTS: 'runner.step-recorded@1' },
      test: t,
    });
    expect(third.signal).toBe('SIGKILL');
    expect((await look())!.status).toBe('running');

    // 4. The last resume finishes it.
    const last = await runArcadia(['saga', 'resume', id, '--json'], { home, env, test: t });
    expect(last.code, last.stderr).toBe(0);
    expect(parseJsonOutput<{ status: string }>(last).status).toBe('succeeded');

    const saga = (await look())!;
    const events = await observer.listEvents(id);
    expect(saga.status).toBe('succeeded');
    expect(saga.owner).toBeNull();
    expect(saga.steps.map((s) => s.status)).toEqual(Array(STEPS).fill('succeeded'));
    expect(succeededOnce(events)).toEqual(Array(STEPS).fill(1));
    // Results in step order, and each step's output is in the context, later steps finishing later.
    const order = events
      .filter((e) => e.from === 'running' && e.to === 'succeeded' && e.stepIdx !== null)
      .map((e) => e.stepIdx);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    const finished = Array.from({ length: STEPS }, (_, i) => saga.context[`slept_${i}`]);
    expect(finished.every((t) => typeof t === 'number')).toBe(true);
    expect([...(finished as number[])].sort((a, b) => a - b)).toEqual(finished);
    // Four executors, each with its own epoch; three of them recovered a running saga.
    expect(events.filter((e) => e.to === 'owner').map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    expect(saga.recoveryAttempts).toBe(3);
    expect(saga.steps[1]!.attempts).toBe(2); // re-executed after the first crash
    expect(await lease(id)).toBeUndefined();
  });
});
