import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FaultConfig } from '../../src/simulator/index.js';
import type { SagaLockRecord } from '../../src/engine/lock.js';
import { waitFor } from '../helpers/arcadia.js';
import { FAST_SIMULATOR, arcadia, invariantViolations, readSagas, sandbox, start, type Sandbox } from './harness.js';

/**
 * Issue 15.1: a request already decided (here held in the client's pacer by a 429's retry-after) must not leave a
 * process that was SIGSTOPped past the stale time, taken over and then continued. The simulator's request log
 * carries each request's x-arcadia-saga and x-arcadia-epoch headers, so it shows whose request came when.
 */

const STALE_MS = 900;
const ENV = {
  ARCADIA_LOCK_STALE_MS: String(STALE_MS),
  ARCADIA_HEARTBEAT_MS: '100',
  ARCADIA_SHUTDOWN_TIMEOUT_MS: '400',
};
/**
 * The first POST is refused with a retry-after long enough for the whole takeover to happen inside it (a fresh
 * object each time: the simulator counts its one-shot faults down in place).
 */
const heldPost = (): Partial<FaultConfig> => ({
  failNextRequests: { status: 429, count: 1, method: 'POST', retryAfterSeconds: 2 },
});

let box: Sandbox | undefined;
afterEach(async () => {
  await box?.cleanup();
  box = undefined;
});

function lockOf(b: Sandbox): SagaLockRecord {
  const [file] = readdirSync(join(b.home, 'locks')).filter((f) => f.endsWith('.lock') && !f.startsWith('batch-'));
  if (!file) throw new Error('no saga lock file');
  return JSON.parse(readFileSync(join(b.home, 'locks', file), 'utf8')) as SagaLockRecord;
}

/**
 * Runs `args`, freezes it while its first POST waits out the 429, lets `saga resume --all` take over and finish,
 * then continues the frozen process and returns what the simulator saw.
 */
async function pauseTakeOverAndWake(b: Sandbox, args: string[]) {
  const old = start(args, b.env);
  const held = (): boolean => b.sim.state().requests.some((r) => r.method === 'POST' && r.status === 429);
  await waitFor(held, { what: 'the held POST', intervalMs: 5 });
  old.child.kill('SIGSTOP');
  const frozen = lockOf(b);
  expect(frozen).toMatchObject({ pid: old.child.pid, epoch: 1 });
  const stale = (): boolean => Date.now() > frozen.heartbeatAt + STALE_MS + 150;
  await waitFor(stale, { what: 'the lock to go stale', intervalMs: 25 });

  const successor = await arcadia(['saga', 'resume', '--all', '--json'], b.env);
  expect(successor.code, successor.stderr).toBe(0);
  const seenBeforeWaking = b.sim.state().requests.length;

  old.child.kill('SIGCONT');
  const woken = await old.done;
  const requests = b.sim.state().requests;
  return { woken, requests, seenBeforeWaking };
}

describe('a paused owner woken after a takeover sends nothing', { timeout: 60_000 }, () => {
  it('a snapshot POST held in the pacer: no request after the takeover, exactly one snapshot', async () => {
    box = await sandbox({ ...FAST_SIMULATOR, faults: heldPost() }, ENV);
    const { woken, requests, seenBeforeWaking } = await pauseTakeOverAndWake(box, ['snapshot', '1001', '--json']);

    expect(woken.stderr + woken.stdout).toMatch(/lease epoch 1 was taken over by another executor/);
    // Not one request from the woken process, and none of epoch 1 after the successor's first.
    expect(requests.slice(seenBeforeWaking)).toEqual([]);
    const firstOfSuccessor = requests.findIndex((r) => r.headers['x-arcadia-epoch'] === '2');
    expect(firstOfSuccessor).toBeGreaterThan(0);
    expect(requests.slice(firstOfSuccessor).filter((r) => r.headers['x-arcadia-epoch'] !== '2')).toEqual([]);
    const state = box.sim.state();
    expect(state.actions.filter((a) => a.type === 'snapshot')).toHaveLength(1);
    expect(state.snapshots.filter((s) => s.createdByActionId !== null)).toHaveLength(1);
    const [saga] = readSagas(box.home);
    expect(saga).toMatchObject({ status: 'succeeded', leaseEpoch: 2 });
    expect(invariantViolations(box.home, box.sim)).toEqual([]);
  });

  it('a shutdown held in the pacer (--power-off): the droplet ends on, with one snapshot', async () => {
    box = await sandbox({ ...FAST_SIMULATOR, faults: heldPost() }, ENV);
    const args = ['snapshot', '1001', '--power-off', '--json'];
    const { woken, requests, seenBeforeWaking } = await pauseTakeOverAndWake(box, args);

    expect(woken.stderr + woken.stdout).toMatch(/lease epoch 1 was taken over by another executor/);
    expect(requests.slice(seenBeforeWaking)).toEqual([]);
    const state = box.sim.state();
    const actions = state.actions.filter((a) => a.resource_id === 1001).map((a) => a.type);
    expect(actions).toEqual(['shutdown', 'snapshot', 'power_on']);
    expect(state.droplets.find((d) => d.id === 1001)?.status).toBe('active');
    expect(state.snapshots.filter((s) => s.createdByActionId !== null)).toHaveLength(1);
    expect(readSagas(box.home)[0]).toMatchObject({ status: 'succeeded', leaseEpoch: 2 });
    expect(invariantViolations(box.home, box.sim)).toEqual([]);
  });

  it('a request whose lease check passed right before the pause: never written after the takeover', async () => {
    // The process stops itself at its first passed lease check, before its request reaches the socket. Two fences
    // stand between it and the wire once it is continued: the send gate (a check is good for half the stale time
    // after the last renewal; test/digitalocean/send-gate.test.ts isolates it) and, here, the overdue heartbeat,
    // which runs before fetch writes and aborts the step. A batch's (chaos seed 6) can be mid-beat at the pause.
    box = await sandbox(FAST_SIMULATOR, ENV);
    const b = box;
    const old = start(['snapshot', '1001', '--json'], { ...b.env, ARCADIA_FAILPOINTS: 'lease.checked:stop' });
    const stopped = (): boolean => {
      try {
        return /^\d+ \(.*\) T/.test(readFileSync(`/proc/${old.child.pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    };
    await waitFor(stopped, { what: 'the process to stop at its first lease check', intervalMs: 5 });
    const frozen = lockOf(b);
    await waitFor(() => Date.now() > frozen.heartbeatAt + STALE_MS + 150, { what: 'the lock to go stale' });

    const successor = await arcadia(['saga', 'resume', '--all', '--json'], b.env);
    expect(successor.code, successor.stderr).toBe(0);
    const seenBeforeWaking = b.sim.state().requests.length;
    old.child.kill('SIGCONT');
    const woken = await old.done;

    expect(woken.stderr + woken.stdout).toMatch(/lease epoch 1 was taken over by another executor/);
    const requests = b.sim.state().requests;
    expect(requests.slice(seenBeforeWaking)).toEqual([]);
    expect(requests.filter((r) => r.headers['x-arcadia-epoch'] === '1')).toEqual([]);
    expect(b.sim.state().snapshots.filter((s) => s.createdByActionId !== null)).toHaveLength(1);
    expect(readSagas(b.home)[0]).toMatchObject({ status: 'succeeded', leaseEpoch: 2 });
    expect(invariantViolations(b.home, b.sim)).toEqual([]);
  });
});
