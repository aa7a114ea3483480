import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ledgerPath, openLedgerDatabase } from '../../src/db/open.js';
import { arcadia, readSagas, start } from './harness.js';

let home: string | undefined;
afterEach(() => {
  if (home) rmSync(home, { recursive: true, force: true });
  home = undefined;
});

function envFor(dir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, NO_COLOR: '1', ARCADIA_HOME: dir, ARCADIA_LOCK_STALE_MS: '3000', ...extra };
}

interface EventRow {
  step_name: string | null;
  from_status: string | null;
  to_status: string;
  epoch: number;
}

function events(dir: string, sagaId: string): EventRow[] {
  const db = openLedgerDatabase({ home: dir, busyTimeoutMs: 5000 });
  try {
    return db.prepare('SELECT step_name, from_status, to_status, epoch FROM saga_events WHERE saga_id = ? ORDER BY id').all(sagaId) as EventRow[];
  } finally {
    db.close();
  }
}

/** Waits until the executor has taken its lock (node start-up takes a few hundred ms). */
async function lockTaken(dir: string, sagaId: string): Promise<void> {
  const path = join(dir, 'locks', `${sagaId}.lock`);
  for (let i = 0; i < 200 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 20));
  expect(existsSync(path)).toBe(true);
}

async function detachedSleepSaga(env: NodeJS.ProcessEnv, steps: number, ms: number): Promise<string> {
  const args = ['saga', 'start', '--kind', 'test', '--input', `sleep_ms=${ms}`, '--detach', '--json'];
  for (let i = 0; i < steps; i++) args.push('--step', 'sleep');
  const created = await arcadia(args, env);
  expect(created.code, created.stderr).toBe(0);
  return (JSON.parse(created.stdout) as { id: string }).id;
}

describe('one owner', () => {
  it('SIGKILLed at several points mid-saga, resumed each time: every step completes exactly once per the ledger', async () => {
    home = mkdtempSync(join(tmpdir(), 'arcadia-owner-'));
    const env = envFor(home);
    const id = await detachedSleepSaga(env, 5, 300);
    for (const killAfter of [150, 450, 700]) {
      const run = start(['saga', 'resume', id], env);
      await new Promise((r) => setTimeout(r, killAfter));
      run.child.kill('SIGKILL');
      expect((await run.done).signal).toBe('SIGKILL');
    }
    const finish = await arcadia(['saga', 'resume', id, '--json'], env);
    expect(finish.code, finish.stderr).toBe(0);
    const [saga] = readSagas(home);
    expect(saga?.status).toBe('succeeded');
    expect(saga?.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded', 'succeeded']);
    const rows = events(home, id);
    const stepEvents = rows.filter((e) => e.step_name === 'sleep' && e.from_status === 'running' && e.to_status === 'succeeded');
    expect(stepEvents).toHaveLength(5);
    // The steps' results appear in order, each step index exactly once.
    const db = openLedgerDatabase({ home, busyTimeoutMs: 5000 });
    const perStep = db.prepare("SELECT step_idx, count(*) AS n FROM saga_events WHERE saga_id = ? AND from_status = 'running' AND to_status = 'succeeded' AND step_idx IS NOT NULL GROUP BY step_idx ORDER BY min(id)").all(id) as { step_idx: number; n: number }[];
    db.close();
    expect(perStep).toEqual([0, 1, 2, 3, 4].map((i) => ({ step_idx: i, n: 1 })));
    expect(saga?.recoveryAttempts).toBeGreaterThanOrEqual(1);
  });

  it('five resumes at once: exactly one runs the saga, four exit 3 naming the owner', async () => {
    home = mkdtempSync(join(tmpdir(), 'arcadia-owner-'));
    const env = envFor(home);
    const id = await detachedSleepSaga(env, 1, 2500);
    const runs = await Promise.all(Array.from({ length: 5 }, () => arcadia(['saga', 'resume', id], env)));
    const codes = runs.map((r) => r.code).sort();
    expect(codes).toEqual([0, 3, 3, 3, 3]);
    for (const refused of runs.filter((r) => r.code === 3)) {
      expect(refused.stderr).toMatch(/owned by pid \d+ on \S+ since \d{4}-/);
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    }
    const rows = events(home, id);
    expect(rows.filter((e) => e.to_status === 'owner')).toHaveLength(1);
    expect(rows.filter((e) => e.from_status === 'running' && e.to_status === 'succeeded' && e.step_name === 'sleep')).toHaveLength(1);
  });

  it('a stale owner (SIGSTOPped past the stale time) cannot write once another executor took over', async () => {
    home = mkdtempSync(join(tmpdir(), 'arcadia-owner-'));
    const env = envFor(home, { ARCADIA_LOCK_STALE_MS: '600', ARCADIA_HEARTBEAT_MS: '100' });
    const id = await detachedSleepSaga(env, 3, 700);
    const old = start(['saga', 'resume', id], env);
    await lockTaken(home, id);
    await new Promise((r) => setTimeout(r, 200));
    old.child.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 1200));
    const takeover = await arcadia(['saga', 'resume', id], env);
    expect(takeover.code, takeover.stderr).toBe(0);
    old.child.kill('SIGCONT');
    const oldResult = await old.done;
    expect(oldResult.code, oldResult.stderr).toBe(3);
    expect(oldResult.stderr).toMatch(/taken over/);

    const rows = events(home, id);
    const takeoverAt = rows.findIndex((e) => e.to_status === 'owner' && e.epoch === 2);
    expect(takeoverAt).toBeGreaterThan(0);
    // Every write after the takeover carries the new epoch: the old owner wrote nothing.
    expect(rows.slice(takeoverAt).every((e) => e.epoch === 2)).toBe(true);
    expect(rows.filter((e) => e.from_status === 'running' && e.to_status === 'succeeded' && e.step_name === 'sleep')).toHaveLength(3);
    expect(readSagas(home)[0]?.status).toBe('succeeded');
  });

  it('creates the ledger and lock files owner-only', async () => {
    home = mkdtempSync(join(tmpdir(), 'arcadia-owner-'));
    const env = envFor(home);
    const id = await detachedSleepSaga(env, 1, 800);
    const run = start(['saga', 'resume', id], env);
    await lockTaken(home, id);
    expect(statSync(join(home, 'locks', `${id}.lock`)).mode & 0o777).toBe(0o600);
    await run.done;
    expect(statSync(ledgerPath(home)).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'locks')).mode & 0o777).toBe(0o700);
  });
});
