import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ledgerPath } from '../../src/db/open.js';
import { lockPath } from '../../src/engine/lock.js';
import { lines, parseJsonOutput, runArcadia, spawnArcadia, waitFor } from '../helpers/arcadia.js';
import type { TestFinisher } from '../helpers/cleanup.js';
import { cliBackends } from '../helpers/ledger-backends.js';
import { newSaga } from '../helpers/ledger.js';

const STALE_MS = 600;
const staleEnv = { ARCADIA_LOCK_STALE_MS: String(STALE_MS), ARCADIA_HEARTBEAT_MS: '100' };
const mode = (path: string) => statSync(path).mode & 0o777;

// The backends run at once here and below: the tests mostly wait on sleeps and staleness.
describe.concurrent.each(cliBackends())('stale owner ($name)', (backend) => {
  it('takes over a paused owner once stale; the woken old owner exits 3 having written nothing', async (t) => {
    const { home, env: backendEnv, ledger, lease, leaseClock } = await backend.open(t);
    const env = { ...backendEnv, ...staleEnv };
    const observer = await ledger();
    const { id } = await observer.createSaga(
      newSaga({ stepNames: ['sleep', 'sleep', 'sleep'], inputs: { sleep_ms: 500 } }),
      Date.now(),
    );

    const old = spawnArcadia(['saga', 'resume', id], { home, env, test: t });
    await waitFor(async () => (await observer.getSaga(id))?.steps[1]?.status === 'running', {
      what: 'step 1 to start',
      timeoutMs: 30_000,
    });
    old.child.kill('SIGSTOP');

    if (backend.name === 'sqlite') {
      // While it is frozen: everything on disk is the operator's alone (PostgreSQL keeps no ledger or lease there).
      expect(mode(home)).toBe(0o700);
      expect(mode(join(home, 'locks'))).toBe(0o700);
      expect(mode(lockPath(join(home, 'locks'), id))).toBe(0o600);
      for (const suffix of ['', '-wal', '-shm']) {
        if (suffix === '' || existsSync(ledgerPath(home) + suffix)) expect(mode(ledgerPath(home) + suffix)).toBe(0o600);
      }
    }
    const frozen = (await lease(id))!;
    expect(frozen).toMatchObject({ pid: old.pid, epoch: 1 });
    await waitFor(async () => (await leaseClock()) > frozen.heartbeatAt + STALE_MS + 150, {
      what: 'the lease to go stale',
      intervalMs: 25,
    });

    const takeover = await runArcadia(['saga', 'resume', id, '--json'], { home, env, test: t });
    expect(takeover.code, takeover.stderr).toBe(0);
    expect(parseJsonOutput<{ status: string }>(takeover).status).toBe('succeeded');
    const afterTakeover = { saga: await observer.getSaga(id), events: await observer.listEvents(id) };

    old.child.kill('SIGCONT');
    const woken = await old.done;

    expect(woken.code, woken.stderr).toBe(3);
    expect(lines(woken.stderr).at(-1)).toMatch(/lease epoch 1 was taken over by another executor/);
    // Not one write after the takeover.
    expect({ saga: await observer.getSaga(id), events: await observer.listEvents(id) }).toEqual(afterTakeover);
    const events = afterTakeover.events;
    const takeoverAt = events.findIndex((e) => e.to === 'owner' && e.epoch === 2);
    expect(events[takeoverAt]!.detail).toMatch(
      new RegExp(`took over: owner pid ${old.pid} on \\S+ has not beaten for \\d+ ms`),
    );
    expect(events.slice(takeoverAt).every((e) => e.epoch === 2)).toBe(true);
    expect(events.slice(0, takeoverAt).every((e) => e.epoch <= 1)).toBe(true);
    // Every step executed to completion exactly once per the ledger; the interrupted one ran again.
    for (const idx of [0, 1, 2]) {
      expect(events.filter((e) => e.stepIdx === idx && e.from === 'running' && e.to === 'succeeded')).toHaveLength(1);
    }
    expect(afterTakeover.saga).toMatchObject({ status: 'succeeded', leaseEpoch: 2, recoveryAttempts: 1, owner: null });
    expect(afterTakeover.saga!.steps.map((s) => s.attempts)).toEqual([1, 2, 1]);
  });
});

/**
 * Issue 15.7: on this host a running owner is never taken over for an old heartbeat (a stopped one is, as above).
 * The owner here is a real process that never beats, holding epoch 1 of a saga through a lease planted for it (a
 * lock file, or the row's owner columns).
 */
describe.concurrent.each(cliBackends())('a live owner on the same host with a stale heartbeat ($name)', (backend) => {
  async function ownedByIdleProcess(t: TestFinisher) {
    const { home, env: backendEnv, ledger, plantOwner } = await backend.open(t);
    const env = { ...backendEnv, ...staleEnv };
    const owner = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => owner.on('exit', resolve));
    t.onTestFinished(async () => {
      owner.kill('SIGKILL');
      await exited;
    });
    const pid = owner.pid!;
    const acquiredAt = Date.now() - 3_600_000;
    const observer = await ledger();
    const { id } = await observer.createSaga(newSaga({ stepNames: ['noop'] }), Date.now());
    await plantOwner(id, {
      pid,
      host: hostname(),
      processStartedAt: null,
      acquiredAt,
      heartbeatAt: acquiredAt,
      epoch: 1,
    });
    return { home, env, id, owner, pid, observer };
  }

  it('is not taken over while it runs, however old its heartbeat: exit 3 naming it', async (t) => {
    const { home, env, id, pid, observer } = await ownedByIdleProcess(t);
    const refused = await runArcadia(['saga', 'resume', id], { home, env, test: t });
    expect(refused.code, refused.stderr).toBe(3);
    expect(refused.stderr).toContain(`owned by pid ${pid} on ${hostname()}`);
    expect(await observer.getSaga(id)).toMatchObject({ status: 'pending', leaseEpoch: 1 });
  });

  it('is taken over once it is stopped (SIGSTOP) and its heartbeat is stale', async (t) => {
    const { home, env, id, owner, pid, observer } = await ownedByIdleProcess(t);
    owner.kill('SIGSTOP');
    const stopped = (): boolean => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('T') === true;
    await waitFor(stopped, { what: 'the stop' });
    const takeover = await runArcadia(['saga', 'resume', id, '--json'], { home, env, test: t });
    expect(takeover.code, takeover.stderr).toBe(0);
    expect(await observer.getSaga(id)).toMatchObject({ status: 'succeeded', leaseEpoch: 2 });
    const owned = (await observer.listEvents(id)).find((e) => e.to === 'owner');
    const reason = `took over: owner pid ${pid} on \\S+ has not beaten for \\d+ ms \\(the process is stopped\\)`;
    expect(owned?.detail).toMatch(new RegExp(reason));
  });
});
