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
  // What every SagaLeases implementation promises is proved for lock files in test/engine/leases.test.ts; here is
  // what only lock files have: the file itself, and what a crash or a stranger can leave in its place.
  it('writes an owner-only lock file of owner and epoch, rewritten on beat and takeover, gone on release', async () => {
    const s = setup();
    const lease = await acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 101, startedAt: 5_555 }));

    expect(statSync(s.file()).mode & 0o777).toBe(0o600);
    expect(statSync(s.locksDir).mode & 0o777).toBe(0o700);
    const acquiredAt = s.clock.now();
    expect(s.readLock()).toEqual({
      sagaId: s.sagaId,
      pid: 101,
      host: HOST,
      processStartedAt: 5_555,
      acquiredAt,
      heartbeatAt: acquiredAt,
      epoch: 1,
    });

    s.clock.advance(1_000);
    expect(await lease.beat()).toBe(true);
    expect(s.readLock()).toMatchObject({ acquiredAt, heartbeatAt: s.clock.now(), epoch: 1 });
    expect(statSync(s.file()).mode & 0o777).toBe(0o600);

    // A refusal leaves the file as it was.
    const beaten = readFileSync(s.file(), 'utf8');
    await expect(acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 202 }))).rejects.toBeInstanceOf(SagaOwnedError);
    expect(readFileSync(s.file(), 'utf8')).toBe(beaten);

    s.gonePids.add(101);
    const next = await acquireSagaLock(s.ledger, s.sagaId, s.options({ pid: 202 }));
    expect(s.readLock()).toMatchObject({ pid: 202, heartbeatAt: s.clock.now(), epoch: 2 });
    expect(statSync(s.file()).mode & 0o777).toBe(0o600);
    await lease.release(); // the taken-over lease's release leaves its successor's file
    expect(s.readLock()).toMatchObject({ pid: 202, epoch: 2 });

    await next.release();
    expect(existsSync(s.file())).toBe(false);
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
