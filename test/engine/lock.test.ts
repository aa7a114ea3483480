import { existsSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { SagaOwnedError } from '../../src/engine/errors.js';
import {
  acquireSagaLock,
  lockPath,
  readSagaLock,
  type SagaLockOptions,
  type SagaLockRecord,
} from '../../src/engine/lock.js';
import type { ProcessIdentity } from '../../src/engine/process-identity.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { newSaga, openTestLedger } from '../helpers/ledger.js';
import { tempHome } from '../helpers/temp-home.js';

const HOST = 'host-a';
const STALE_MS = 30_000;

function setup() {
  const { home } = tempHome();
  const t = openTestLedger(home);
  onTestFinished(() => t.close());
  const clock = new FakeClock();
  const locksDir = join(home, 'locks');
  const sagaId = t.core.createSaga(newSaga({ stepNames: ['noop'] }), clock.now()).id;
  /** Which pids the injected liveness check calls gone. */
  const gonePids = new Set<number>();
  /** Which pids it calls stopped (SIGSTOP); the rest are alive. */
  const stoppedPids = new Set<number>();
  const options = (identity: Partial<ProcessIdentity> & { pid: number }): SagaLockOptions => ({
    locksDir,
    staleMs: STALE_MS,
    clock,
    identity: { host: HOST, startedAt: 1_000, ...identity },
    processState: (pid) => (gonePids.has(pid) ? 'gone' : stoppedPids.has(pid) ? 'stopped' : 'alive'),
  });
  const file = () => lockPath(locksDir, sagaId);
  const readLock = () => JSON.parse(readFileSync(file(), 'utf8')) as SagaLockRecord;
  return { home, ledger: t.ledger, clock, locksDir, sagaId, gonePids, stoppedPids, options, file, readLock };
}

describe('acquireSagaLock', () => {
  it(
    'creates an owner-only lock file with pid, host, start time, acquired-at, heartbeat and epoch, and claims ' +
      'the epoch',
    async () => {
      const s = setup();
      const lease = await acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 101, startedAt: 5_555 }));

      expect(statSync(s.file()).mode & 0o777).toBe(0o600);
      expect(statSync(s.locksDir).mode & 0o777).toBe(0o700);
      expect(s.readLock()).toEqual({
        sagaId: s.sagaId,
        pid: 101,
        host: HOST,
        processStartedAt: 5_555,
        acquiredAt: s.clock.now(),
        heartbeatAt: s.clock.now(),
        epoch: 1,
      });
      expect(lease.epoch).toBe(1);
      expect(lease.takeoverReason).toBeNull();
      const saga = (await s.ledger.getSaga(s.sagaId))!;
      expect(saga.leaseEpoch).toBe(1);
      expect(saga.owner).toEqual({ pid: 101, host: HOST, processStartedAt: 5_555, acquiredAt: s.clock.now() });
    },
  );

  it(
    'refuses a second executor while the owner is alive and fresh, naming its pid ' + 'and host, and changes nothing',
    async () => {
      const s = setup();
      await acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 101 }));
      const before = readFileSync(s.file(), 'utf8');
      s.clock.advance(STALE_MS); // exactly at the limit: not yet stale

      let error: unknown;
      try {
        await acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 202 }));
      } catch (e) {
        error = e;
      }

      expect(error).toBeInstanceOf(SagaOwnedError);
      const owned = error as SagaOwnedError;
      expect(owned.owner).toMatchObject({ pid: 101, host: HOST });
      expect(owned.message).toContain('pid 101 on host-a');
      expect(readFileSync(s.file(), 'utf8')).toBe(before);
      expect(await s.ledger.currentEpoch(s.sagaId)).toBe(1);
    },
  );

  it('takes over when the owner pid is gone (same host), with the next epoch', async () => {
    const s = setup();
    const old = await acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 101 }));
    s.gonePids.add(101);

    const lease = await acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 202 }));

    expect(lease.epoch).toBe(2);
    expect(lease.takeoverReason).toBe('owner pid 101 is gone');
    expect(s.readLock()).toMatchObject({ pid: 202, epoch: 2 });
    expect(statSync(s.file()).mode & 0o777).toBe(0o600);
    expect(await s.ledger.getSaga(s.sagaId)).toMatchObject({ leaseEpoch: 2, owner: { pid: 202 } });
    expect(await old.beat()).toBe(false);
  });

  it('does not trust a pid check for another host: a fresh owner elsewhere keeps the saga', async () => {
    const s = setup();
    await acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 101, host: 'host-b' }));
    s.gonePids.add(101); // a pid 101 on *this* host is gone; says nothing about host-b

    await expect(acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 202 }))).rejects.toThrow(/pid 101 on host-b/);
  });

  it('takes over when the heartbeat is older than staleMs, even from another host', async () => {
    const s = setup();
    await acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 101, host: 'host-b' }));
    s.clock.advance(STALE_MS + 1);

    const lease = await acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 202 }));

    expect(lease.epoch).toBe(2);
    expect(lease.takeoverReason).toBe(`owner pid 101 on host-b has not beaten for ${STALE_MS + 1} ms`);
  });

  it('never takes over a running owner on the same host for staleness alone, however old its heartbeat', async () => {
    const s = setup();
    await acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 101 }));
    s.clock.advance(STALE_MS * 100);

    await expect(acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 202 }))).rejects.toThrow(
      /owned by pid 101 on host-a/,
    );
    expect(s.readLock()).toMatchObject({ pid: 101, epoch: 1 });
    expect(await s.ledger.getSaga(s.sagaId)).toMatchObject({ leaseEpoch: 1, owner: { pid: 101 } });
  });

  it('takes over a stopped owner on the same host once its heartbeat is stale, not before', async () => {
    const s = setup();
    await acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 101 }));
    s.stoppedPids.add(101);
    s.clock.advance(STALE_MS);
    await expect(acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 202 }))).rejects.toThrow(SagaOwnedError);

    s.clock.advance(1);
    const lease = await acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 202 }));

    expect(lease.epoch).toBe(2);
    const reason = `owner pid 101 on host-a has not beaten for ${STALE_MS + 1} ms (the process is stopped)`;
    expect(lease.takeoverReason).toBe(reason);
  });

  it('keeps the lock while the owner beats: beat() refreshes the heartbeat', async () => {
    const s = setup();
    const lease = await acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 101 }));
    s.clock.advance(STALE_MS - 1);
    expect(await lease.beat()).toBe(true);
    expect(s.readLock().heartbeatAt).toBe(s.clock.now());
    expect(statSync(s.file()).mode & 0o777).toBe(0o600);
    s.clock.advance(STALE_MS - 1); // 2 x staleMs after acquiring, but fresh since the beat

    await expect(acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 202 }))).rejects.toThrow(SagaOwnedError);
  });

  it('lets exactly one of two contenders that saw the same dead owner win', async () => {
    const s = setup();
    await acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 101 }));
    s.gonePids.add(101);
    const deadOwnersLock = readFileSync(s.file(), 'utf8');

    const winner = await acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 202 }));
    const winnersLock = readFileSync(s.file(), 'utf8');
    // The loser read the lock file before the winner replaced it: give it that same stale view.
    writeFileSync(s.file(), deadOwnersLock);
    let error: unknown;
    try {
      await acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 303 }));
    } catch (e) {
      error = e;
    }

    expect(winner.epoch).toBe(2);
    expect(error).toBeInstanceOf(SagaOwnedError);
    expect((error as SagaOwnedError).owner).toMatchObject({ pid: 202 });
    expect(await s.ledger.getSaga(s.sagaId)).toMatchObject({ leaseEpoch: 2, owner: { pid: 202 } });
    writeFileSync(s.file(), winnersLock);
    expect(await winner.beat()).toBe(true);
  });

  it('lets exactly one of two contenders that both found no lock file win', async () => {
    const s = setup();
    // Both read epoch 0 and no file; the first links its lock file, the second finds it and meets a live owner.
    const first = await acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 202 }));
    await expect(acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 303 }))).rejects.toThrow(SagaOwnedError);
    expect(first.epoch).toBe(1);
    expect(await s.ledger.currentEpoch(s.sagaId)).toBe(1);
  });

  it('does not let the old owner delete or refresh a lock that was taken over', async () => {
    const s = setup();
    const old = await acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 101 }));
    s.gonePids.add(101);
    await acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 202 }));
    const taken = readFileSync(s.file(), 'utf8');

    s.clock.advance(1_000);
    expect(await old.beat()).toBe(false);
    await old.release();

    expect(readFileSync(s.file(), 'utf8')).toBe(taken);
    expect(readSagaLock(s.locksDir, s.sagaId)).toMatchObject({ pid: 202, epoch: 2 });
  });

  it('removes its own lock file on release', async () => {
    const s = setup();
    const lease = await acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 101 }));
    await lease.release();
    expect(readSagaLock(s.locksDir, s.sagaId)).toBeUndefined();
    // and the next executor gets the next epoch without a takeover
    const next = await acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 202 }));
    expect(next).toMatchObject({ epoch: 2, takeoverReason: null });
  });

  it('takes over an unreadable lock file at the epoch the ledger holds', async () => {
    const s = setup();
    await acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 101 }));
    writeFileSync(s.file(), '{"pid": 10');

    const lease = await acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 202 }));

    expect(lease).toMatchObject({ epoch: 2, takeoverReason: 'unreadable lock file' });
  });

  it('takes over a dangling symlink in place of the lock file instead of calling the saga owned forever', async () => {
    const s = setup();
    mkdirSync(s.locksDir, { recursive: true, mode: 0o700 });
    symlinkSync(join(s.home, 'nowhere', 'gone.lock'), s.file());

    const lease = await acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 202 }));

    expect(lease).toMatchObject({ epoch: 1, takeoverReason: 'unreadable lock file' });
    expect(lstatSync(s.file()).isFile()).toBe(true);
    expect(s.readLock()).toMatchObject({ pid: 202, epoch: 1 });
    expect(existsSync(join(s.home, 'nowhere'))).toBe(false);
    await lease.release();
    expect(existsSync(s.file())).toBe(false);
  });

  it(
    'never follows a symlinked lock file: a live-looking record ' + 'at its target is not read, and is left alone',
    async () => {
      const s = setup();
      mkdirSync(s.locksDir, { recursive: true, mode: 0o700 });
      const target = join(s.home, 'someone-elses.json');
      const live: SagaLockRecord = {
        sagaId: s.sagaId,
        pid: 101,
        host: HOST,
        processStartedAt: 1,
        acquiredAt: 0,
        heartbeatAt: s.clock.now(),
        epoch: 0,
      };
      writeFileSync(target, JSON.stringify(live), { mode: 0o600 });
      const before = readFileSync(target);
      symlinkSync(target, s.file());

      expect(readSagaLock(s.locksDir, s.sagaId)).toMatchObject({ epoch: -1, pid: 0 });
      const lease = await acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 202 }));

      expect(lease.epoch).toBe(1);
      expect(lstatSync(s.file()).isSymbolicLink()).toBe(false);
      expect(readFileSync(target).equals(before)).toBe(true);
    },
  );

  it('takes over from an owner that linked its lock file but died before claiming the epoch', async () => {
    const s = setup();
    // What a process leaves when it dies between linking the file and the ledger's compare-and-set.
    const record: SagaLockRecord = {
      sagaId: s.sagaId,
      pid: 101,
      host: HOST,
      processStartedAt: 1,
      acquiredAt: 0,
      heartbeatAt: s.clock.now(),
      epoch: 1,
    };
    (await acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 99 }))).release(); // epoch 1 in the ledger
    writeFileSync(s.file(), JSON.stringify({ ...record, epoch: 2 }), { mode: 0o600 });
    s.gonePids.add(101);

    const lease = await acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 202 }));

    expect(lease.epoch).toBe(3);
    expect(await s.ledger.currentEpoch(s.sagaId)).toBe(3);
  });

  it(
    'takes over from a taker that claimed the epoch in the ' + 'ledger but died before rewriting the lock file',
    async () => {
      const s = setup();
      await acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 101 })); // lock file and ledger at epoch 1
      s.gonePids.add(101);
      // The taker's compare-and-set went through (epoch 2, owner 202), then it was killed: the file still says 101/1.
      expect(
        await s.ledger.claimLease(s.sagaId, [1, 0], 2, { pid: 202, host: HOST, processStartedAt: 1, acquiredAt: 0 }),
      ).toBe(true);
      expect(s.readLock()).toMatchObject({ pid: 101, epoch: 1 });

      // While the taker may be alive (about to write its file), it keeps the saga.
      await expect(acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 303 }))).rejects.toBeInstanceOf(SagaOwnedError);

      s.gonePids.add(202);
      const lease = await acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 303 }));

      expect(lease.epoch).toBe(3);
      expect(lease.takeoverReason).toBe('owner pid 202 is gone');
      expect(s.readLock()).toMatchObject({ pid: 303, epoch: 3 });
      expect(await s.ledger.getSaga(s.sagaId)).toMatchObject({ leaseEpoch: 3, owner: { pid: 303 } });
    },
  );
});
