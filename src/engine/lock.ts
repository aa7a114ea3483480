import {
  closeSync,
  constants,
  fstatSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Clock } from './clock.js';
import { SagaOwnedError } from './errors.js';
import type { SagaLedger } from './ledger.js';
import type { SagaLease } from './lease.js';
import type { OwnerProcessState, ProcessIdentity } from './process-identity.js';
import { takeoverReason } from './takeover.js';
import type { SagaOwner } from './types.js';
import { ensureOwnDirectory } from '../file-safety.js';

/** The content of `$ARCADIA_HOME/locks/<saga-id>.lock`. */
export interface SagaLockRecord {
  sagaId: string;
  pid: number;
  host: string;
  processStartedAt: number | null;
  acquiredAt: number;
  heartbeatAt: number;
  epoch: number;
}

export interface SagaLockOptions {
  locksDir: string;
  staleMs: number;
  clock: Clock;
  identity: ProcessIdentity;
  /** Injected so tests can decide liveness; defaults to inspecting the local process table. */
  processState?: (pid: number, startedAt: number | null) => OwnerProcessState;
}

export function lockPath(locksDir: string, sagaId: string): string {
  return join(locksDir, `${sagaId}.lock`);
}

/**
 * The lock file's text, undefined when there is none, or null when the entry is not a file arcadia wrote (a symlink,
 * dangling or not, or anything but a regular file). O_NOFOLLOW: a planted link is never followed to its target.
 */
function readLockText(path: string): string | undefined | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP' || code === 'ENXIO') return null;
    throw error;
  }
  try {
    return fstatSync(fd).isFile() ? readFileSync(fd, 'utf8') : null;
  } finally {
    closeSync(fd);
  }
}

export function readSagaLock(locksDir: string, sagaId: string): SagaLockRecord | undefined {
  const raw = readLockText(lockPath(locksDir, sagaId));
  if (raw === undefined) return undefined;
  try {
    if (raw === null) throw new Error('not a lock file');
    return JSON.parse(raw) as SagaLockRecord;
  } catch {
    // Lock files are written whole (temp file + link/rename), so garbage or a symlink means someone else's damage:
    // treat it as an owner that cannot be alive, at the epoch the ledger holds. Taking over renames a new lock file
    // over the entry, which replaces a symlink itself and never touches what it points to.
    return { sagaId, pid: 0, host: '', processStartedAt: null, acquiredAt: 0, heartbeatAt: 0, epoch: -1 };
  }
}

export function ownerOfLock(lock: SagaLockRecord): SagaOwner {
  return { pid: lock.pid, host: lock.host, processStartedAt: lock.processStartedAt, acquiredAt: lock.acquiredAt };
}

/** Why a lock may be taken over, or null while its owner is alive and fresh: `takeoverReason`'s rules. */
export function lockTakeoverReason(lock: SagaLockRecord, options: SagaLockOptions): string | null {
  if (lock.epoch < 0) return 'unreadable lock file';
  return takeoverReason(lock, options.clock.now(), {
    staleMs: options.staleMs,
    hostId: options.identity.host,
    ...(options.processState ? { processState: options.processState } : {}),
  });
}

function writeTemp(locksDir: string, record: SagaLockRecord): string {
  const tmp = join(locksDir, `.${record.sagaId}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  try {
    writeFileSync(tmp, JSON.stringify(record), { mode: 0o600 });
  } catch (error) {
    removeQuietly(tmp); // a full disk may have created it empty
    throw error;
  }
  return tmp;
}

/** Replaces a lock file atomically (readers never see half a record); a failed write leaves no temporary file. */
export function replaceLockFile(locksDir: string, path: string, record: SagaLockRecord): void {
  const tmp = writeTemp(locksDir, record);
  try {
    renameSync(tmp, path);
  } catch (error) {
    removeQuietly(tmp);
    throw error;
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/**
 * Takes the single-owner lease on a saga. The lock file says who owns it; the ledger's lease epoch decides races:
 * every acquisition is a compare-and-set of the epoch, so of several processes that see the same dead owner only one
 * wins, and the loser reports the winner.
 */
export async function acquireSagaLock(
  ledger: SagaLedger,
  sagaId: string,
  options: SagaLockOptions,
): Promise<SagaLease> {
  ensureOwnDirectory(options.locksDir, 'the locks folder');
  const path = lockPath(options.locksDir, sagaId);
  const now = options.clock.now();
  const owner: SagaOwner = {
    pid: options.identity.pid,
    host: options.identity.host,
    processStartedAt: options.identity.startedAt,
    acquiredAt: now,
  };

  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = readSagaLock(options.locksDir, sagaId);
    if (!existing) {
      const current = await ledger.currentEpoch(sagaId);
      const record: SagaLockRecord = { sagaId, ...owner, heartbeatAt: now, epoch: current + 1 };
      const tmp = writeTemp(options.locksDir, record);
      try {
        linkSync(tmp, path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue; // someone else got there first: look again
        throw error;
      } finally {
        removeQuietly(tmp);
      }
      let claimed: boolean;
      try {
        claimed = await ledger.claimLease(sagaId, [current], record.epoch, owner);
      } catch (error) {
        removeQuietly(path); // e.g. a busy ledger: a refused executor must not leave a lock claiming the saga
        throw error;
      }
      if (!claimed) {
        removeQuietly(path);
        throw new SagaOwnedError(sagaId, (await ledger.getSaga(sagaId))?.owner ?? null);
      }
      return makeLease(options, record, null);
    }

    const reason = lockTakeoverReason(existing, options);
    if (reason === null) throw new SagaOwnedError(sagaId, ownerOfLock(existing));

    // A dead owner may have linked its lock file and died before claiming the epoch: accept either.
    const lockEpoch = existing.epoch < 0 ? await ledger.currentEpoch(sagaId) : existing.epoch;
    const record: SagaLockRecord = { sagaId, ...owner, heartbeatAt: now, epoch: lockEpoch + 1 };
    if (await ledger.claimLease(sagaId, [lockEpoch, lockEpoch - 1], record.epoch, owner)) {
      replaceLockFile(options.locksDir, path, record);
      return makeLease(options, record, reason);
    }
    const skipped = await takeOverUnwrittenClaim(ledger, sagaId, lockEpoch, owner, options);
    if (skipped) {
      replaceLockFile(options.locksDir, path, skipped.record);
      return makeLease(options, skipped.record, skipped.reason);
    }
    throw new SagaOwnedError(sagaId, (await ledger.getSaga(sagaId))?.owner ?? null);
  }
  throw new SagaOwnedError(sagaId, (await ledger.getSaga(sagaId))?.owner ?? null);
}

/**
 * A taker that claimed the epoch in the ledger and died before it rewrote the lock file leaves the file one epoch (or
 * more) behind the ledger, naming the owner before it. Without this, every later taker would expect the file's epoch
 * and be refused forever. The ledger's recorded owner is then the one to judge, by the same rule as a lock file's
 * (its claim time standing in for a heartbeat); a released saga (no owner recorded) is free.
 */
async function takeOverUnwrittenClaim(
  ledger: SagaLedger,
  sagaId: string,
  lockEpoch: number,
  owner: SagaOwner,
  options: SagaLockOptions,
): Promise<{ record: SagaLockRecord; reason: string } | undefined> {
  const saga = await ledger.getSaga(sagaId);
  if (saga === undefined || saga.leaseEpoch <= lockEpoch) return undefined;
  const claimer = saga.owner;
  const reason =
    claimer === null
      ? `the lock file is behind the ledger's epoch ${saga.leaseEpoch}, which nobody holds`
      : lockTakeoverReason({ sagaId, ...claimer, heartbeatAt: claimer.acquiredAt, epoch: saga.leaseEpoch }, options);
  if (reason === null) return undefined;
  const record: SagaLockRecord = { sagaId, ...owner, heartbeatAt: owner.acquiredAt, epoch: saga.leaseEpoch + 1 };
  return (await ledger.claimLease(sagaId, [saga.leaseEpoch], record.epoch, owner)) ? { record, reason } : undefined;
}

function makeLease(options: SagaLockOptions, record: SagaLockRecord, takeoverReason: string | null): SagaLease {
  const isMine = (lock: SagaLockRecord | undefined): boolean =>
    lock !== undefined && lock.pid === record.pid && lock.host === record.host && lock.epoch === record.epoch;
  return {
    sagaId: record.sagaId,
    epoch: record.epoch,
    owner: ownerOfLock(record),
    takeoverReason,
    async beat() {
      if (!isMine(readSagaLock(options.locksDir, record.sagaId))) return false;
      replaceLockFile(options.locksDir, lockPath(options.locksDir, record.sagaId), {
        ...record,
        heartbeatAt: options.clock.now(),
      });
      return true;
    },
    async release() {
      if (isMine(readSagaLock(options.locksDir, record.sagaId)))
        removeQuietly(lockPath(options.locksDir, record.sagaId));
    },
  };
}
