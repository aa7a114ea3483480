import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../src/simulator/index.js';
import { readEvents } from '../helpers/ledger.js';
import { waitFor } from '../helpers/arcadia.js';
import { FAST_SIMULATOR, arcadia, invariantViolations, readSagas, sandbox, start, type Sandbox } from './harness.js';

let box: Sandbox | undefined;
afterEach(async () => {
  await box?.cleanup();
  box = undefined;
});

/** ARCHITECTURE.md, "Interruptions": the process is gone within 2 s of the signal. */
const BUDGET_MS = 2_000;

function snapshotPosts(sim: RunningSimulator): number {
  return sim
    .state()
    .requests.filter(
      (r) => r.method === 'POST' && (r.body as { type?: string } | null)?.type === 'snapshot' && r.status === 201,
    ).length;
}

/** Every arcadia snapshot that ever existed (deleted ones too), per droplet. */
function snapshotsPerDroplet(sim: RunningSimulator): Map<number, number> {
  const counts = new Map<number, number>();
  for (const s of sim.state().snapshots)
    if (s.name.startsWith('arcadia-snap-')) counts.set(s.dropletId, (counts.get(s.dropletId) ?? 0) + 1);
  return counts;
}

/** Sends `signal` once `posts` snapshot actions are under way; returns the result and how long the exit took. */
async function interruptAfterPosts(
  args: string[],
  posts: number,
  signal: NodeJS.Signals,
  env: NodeJS.ProcessEnv,
  sim: RunningSimulator,
) {
  const run = start(args, env);
  await waitFor(() => snapshotPosts(sim) >= posts, { what: `${posts} snapshot POST(s)` });
  await new Promise((r) => setTimeout(r, 100)); // mid-wait, after the action id checkpoint
  const sentAt = Date.now();
  run.child.kill(signal);
  const result = await run.done;
  return { result, exitMs: Date.now() - sentAt };
}

/** The ledger after an interruption: nothing rolled back, an interrupted event, no owner, no lock file. */
function expectLeftResumable(b: Sandbox, ids: string[], withEvent: string[]): void {
  const sagas = new Map(readSagas(b.home).map((s) => [s.id, s]));
  for (const id of ids) {
    const saga = sagas.get(id);
    expect(saga?.status, id).toMatch(/^(running|pending)$/);
    expect(saga?.owner, id).toBeNull();
    expect(
      saga?.steps.some((s) => s.status === 'compensating' || s.status === 'compensated' || s.status === 'failed'),
    ).toBe(false);
    expect(existsSync(join(b.home, 'locks', `${id}.lock`)), id).toBe(false);
  }
  for (const id of withEvent) {
    const events = readEvents(b.home, id).filter((e) => e.to === 'interrupted');
    expect(events, id).toHaveLength(1);
  }
}

const SLOW = { ...FAST_SIMULATOR, actionDurationMs: { snapshot: 2_500 } };

describe('interruptions: SIGINT and SIGTERM stop, record, let go and say how to resume', { timeout: 30_000 }, () => {
  it('SIGINT mid-snapshot: exit 130 within 2 s, saga and resume command named; resume takes one snapshot', async () => {
    box = await sandbox(SLOW);
    const { result, exitMs } = await interruptAfterPosts(['snapshot', '1001'], 1, 'SIGINT', box.env, box.sim);
    expect(result.code, result.stderr).toBe(130);
    expect(exitMs).toBeLessThan(BUDGET_MS);
    const [saga] = readSagas(box.home);
    if (!saga) throw new Error('no saga recorded');
    expect(result.stderr).toMatch(/interrupted by SIGINT; nothing was rolled back; 1 saga is unfinished/);
    expect(result.stderr).toContain(`unfinished: saga ${saga.id}`);
    expect(result.stderr).toContain(`resume with: arcadia saga resume ${saga.id}`);
    expect(result.stdout).toContain(`droplet 1001: interrupted`);
    expectLeftResumable(box, [saga.id], [saga.id]);

    const shown = await arcadia(['saga', 'show', saga.id, '--json'], box.env);
    const events = (JSON.parse(shown.stdout) as { events: { to: string; detail: string | null }[] }).events;
    expect(events.filter((e) => e.to === 'interrupted').map((e) => e.detail)).toEqual([
      'SIGINT: stopped, resumable; nothing rolled back',
    ]);

    const resumed = await arcadia(['saga', 'resume', saga.id], box.env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readSagas(box.home)[0]?.status).toBe('succeeded');
    expect(snapshotsPerDroplet(box.sim).get(1001)).toBe(1);
    expect(snapshotPosts(box.sim)).toBe(1);
    expect(invariantViolations(box.home, box.sim)).toEqual([]);
  });

  it('SIGTERM mid-snapshot with --json: exit 143 and a JSON array marking the droplet interrupted', async () => {
    box = await sandbox(SLOW);
    const { result, exitMs } = await interruptAfterPosts(
      ['snapshot', '1001', '--json'],
      1,
      'SIGTERM',
      box.env,
      box.sim,
    );
    expect(result.code, result.stderr).toBe(143);
    expect(exitMs).toBeLessThan(BUDGET_MS);
    const entries = JSON.parse(result.stdout) as { dropletId: number; sagaId: string; status: string; error: string }[];
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ dropletId: 1001, status: 'interrupted' });
    expect(entries[0]?.error).toMatch(/^interrupted by SIGTERM/);
    expectLeftResumable(box, [entries[0]?.sagaId ?? ''], [entries[0]?.sagaId ?? '']);

    const resumed = await arcadia(['saga', 'resume', '--all'], box.env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(snapshotsPerDroplet(box.sim).get(1001)).toBe(1);
    expect(invariantViolations(box.home, box.sim)).toEqual([]);
  });

  it('SIGINT in a batch: no new saga starts, all unfinished listed, resume --all takes one snapshot each', async () => {
    box = await sandbox({ ...SLOW, droplets: [], fleet: { count: 4, tag: 'web', firstId: 3000 } });
    const args = ['snapshot', '--tag', 'web', '--concurrency', '2'];
    const { result, exitMs } = await interruptAfterPosts(args, 2, 'SIGINT', box.env, box.sim);
    expect(result.code, result.stderr).toBe(130);
    expect(exitMs).toBeLessThan(BUDGET_MS);
    expect(snapshotPosts(box.sim)).toBe(2);
    const sagas = readSagas(box.home);
    expect(sagas).toHaveLength(4);
    const started = sagas.filter((s) => s.status === 'running').map((s) => s.id);
    const waiting = sagas.filter((s) => s.status === 'pending').map((s) => s.id);
    expect(started).toHaveLength(2);
    expect(waiting).toHaveLength(2);
    expect(result.stderr).toMatch(/interrupted by SIGINT; nothing was rolled back; 4 sagas are unfinished/);
    for (const saga of sagas) expect(result.stderr).toContain(`unfinished: saga ${saga.id}`);
    expect(result.stderr).toContain('resume with: arcadia saga resume --all');
    expect(result.stdout).toMatch(/0 succeeded, 0 failed, 0 skipped, 4 interrupted/);
    expectLeftResumable(box, [...started, ...waiting], started);

    const resumed = await arcadia(['saga', 'resume', '--all'], box.env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readSagas(box.home).every((s) => s.status === 'succeeded')).toBe(true);
    const counts = snapshotsPerDroplet(box.sim);
    expect(counts.size).toBe(4);
    for (const count of counts.values()) expect(count).toBe(1);
    expect(invariantViolations(box.home, box.sim)).toEqual([]);
  });

  it('SIGTERM during a --json batch keeps stdout one JSON array, every droplet marked interrupted', async () => {
    box = await sandbox({ ...SLOW, droplets: [], fleet: { count: 3, tag: 'web', firstId: 4000 } });
    const { result } = await interruptAfterPosts(
      ['snapshot', '--tag', 'web', '--concurrency', '1', '--json'],
      1,
      'SIGTERM',
      box.env,
      box.sim,
    );
    expect(result.code, result.stderr).toBe(143);
    const entries = JSON.parse(result.stdout) as { status: string; error: string }[];
    expect(entries.map((e) => e.status)).toEqual(['interrupted', 'interrupted', 'interrupted']);
    expect(entries.filter((e) => e.error.startsWith('not started: '))).toHaveLength(2);
  });

  it('saga start interrupted with --json prints one error object naming the saga and the resume command', async () => {
    box = await sandbox();
    const run = start(
      ['saga', 'start', '--kind', 'test', '--step', 'sleep', '--input', 'sleep_ms=20000', '--json'],
      box.env,
    );
    await waitFor(() => readSagas(box!.home).some((s) => s.steps[0]?.status === 'running'), {
      what: 'the sleep step to run',
    });
    run.child.kill('SIGTERM');
    const result = await run.done;
    expect(result.code, result.stderr).toBe(143);
    const [saga] = readSagas(box.home);
    const body = JSON.parse(result.stdout) as {
      error: { code: string; signal: string; unfinishedSagaIds: string[]; resumeCommand: string };
    };
    expect(body.error).toMatchObject({
      code: 'interrupted',
      signal: 'SIGTERM',
      unfinishedSagaIds: [saga?.id],
      resumeCommand: `arcadia saga resume ${saga?.id}`,
    });
    expectLeftResumable(box, [saga?.id ?? ''], [saga?.id ?? '']);
  });

  it('a second signal exits at once while the first still waits for a request that cannot be aborted', async () => {
    box = await sandbox(SLOW, { ARCADIA_INTERRUPT_GRACE_MS: '20000', ARCADIA_HTTP_TIMEOUT_MS: '20000' });
    box.sim.configure({ faults: { slowNextRequests: { count: 1, ms: 10_000 } } });
    const run = start(['snapshot', '1001'], box.env);
    // The droplet look-up before any saga exists is held back by the simulator.
    await waitFor(() => box!.sim.state().requests.some((r) => r.fault?.startsWith('slowReply')), {
      what: 'the slow reply',
    });
    run.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 300));
    expect(run.child.exitCode).toBeNull();
    const sentAt = Date.now();
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(Date.now() - sentAt).toBeLessThan(1_000);
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toMatch(/SIGINT again: exiting now/);
    expect(readSagas(box.home)).toEqual([]);
  });

  it('a second signal in --json mode still leaves one JSON document on stdout', async () => {
    box = await sandbox(SLOW, { ARCADIA_INTERRUPT_GRACE_MS: '20000', ARCADIA_HTTP_TIMEOUT_MS: '20000' });
    box.sim.configure({ faults: { slowNextRequests: { count: 1, ms: 10_000 } } });
    const run = start(['snapshot', '1001', '--json'], box.env);
    await waitFor(() => box!.sim.state().requests.some((r) => r.fault?.startsWith('slowReply')), {
      what: 'the slow reply',
    });
    run.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    run.child.kill('SIGTERM');
    const result = await run.done;
    expect(result.code, result.stderr).toBe(143);
    const body = JSON.parse(result.stdout) as { error: { code: string; signal: string; message: string } };
    expect(body.error).toMatchObject({ code: 'interrupted', signal: 'SIGTERM' });
    expect(body.error.message).toMatch(/^SIGTERM again: exiting now/);
  });

  it('two signals in quick succession mid-snapshot leave the saga resumable to exactly one snapshot', async () => {
    box = await sandbox(SLOW);
    const run = start(['snapshot', '1001'], box.env);
    await waitFor(() => snapshotPosts(box!.sim) >= 1, { what: 'the snapshot POST' });
    run.child.kill('SIGINT');
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code, result.stderr).toBe(130);
    const resumed = await arcadia(['saga', 'resume', '--all'], box.env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readSagas(box.home)[0]?.status).toBe('succeeded');
    expect(snapshotsPerDroplet(box.sim).get(1001)).toBe(1);
    expect(invariantViolations(box.home, box.sim)).toEqual([]);
  });

  it('exits within 2 s even when a request in flight cannot be aborted (grace time); saga resumable', async () => {
    // A grace of 500 ms (default 1500) leaves the exit itself room on a loaded machine within the 2 s.
    box = await sandbox(SLOW, { ARCADIA_HTTP_TIMEOUT_MS: '20000', ARCADIA_INTERRUPT_GRACE_MS: '500' });
    const run = start(['snapshot', '1001'], box.env);
    await waitFor(() => snapshotPosts(box!.sim) >= 1, { what: 'the snapshot POST' });
    box.sim.configure({ faults: { slowNextRequests: { count: 1, ms: 10_000 } } });
    await waitFor(() => box!.sim.state().requests.some((r) => r.fault?.startsWith('slowReply')), {
      what: 'a held-back poll',
    });
    const sentAt = Date.now();
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(Date.now() - sentAt).toBeLessThan(BUDGET_MS);
    expect(result.code, result.stderr).toBe(130);
    // Either the request was aborted and the saga let go cleanly, or the grace time ran out first.
    expect(result.stderr).toMatch(/resume with: arcadia saga resume|still not stopped after 500 ms/);
    const resumed = await arcadia(['saga', 'resume', '--all'], box.env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(snapshotsPerDroplet(box.sim).get(1001)).toBe(1);
    expect(invariantViolations(box.home, box.sim)).toEqual([]);
  });
});
