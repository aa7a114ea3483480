import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { lockTakeoverReason, ownerOfLock, readSagaLock, replaceLockFile, type SagaLockOptions } from './lock.js';
import type { SagaOwner } from './types.js';
import { ensureOwnDirectory } from '../file-safety.js';

function batchKey(batchId: string): string {
  return `batch-${batchId}`;
}

/**
 * A batch process owns the sagas it created but has not started yet: until each takes its own saga lock, this
 * heart-beaten lock file says they are in good hands, so an overlapping run neither resumes nor duplicates them.
 */
export function holdBatchLock(
  batchId: string,
  options: SagaLockOptions & { heartbeatMs: number },
): { release(): void } {
  ensureOwnDirectory(options.locksDir, 'the locks folder');
  const key = batchKey(batchId);
  const path = join(options.locksDir, `${key}.lock`);
  const acquiredAt = options.clock.now();
  const write = (): void => {
    const record = {
      sagaId: key,
      pid: options.identity.pid,
      host: options.identity.host,
      processStartedAt: options.identity.startedAt,
      acquiredAt,
      heartbeatAt: options.clock.now(),
      epoch: 0,
    };
    replaceLockFile(options.locksDir, path, record);
  };
  write();
  const timer = setInterval(() => {
    try {
      write();
    } catch {
      // a transient file-system hiccup; the next beat tries again
    }
  }, options.heartbeatMs);
  timer.unref();
  return {
    release() {
      clearInterval(timer);
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    },
  };
}

/** The live process holding the batch's lock file, or undefined. */
export function batchHolder(batchId: string, options: SagaLockOptions): SagaOwner | undefined {
  const lock = readSagaLock(options.locksDir, batchKey(batchId));
  return lock !== undefined && lockTakeoverReason(lock, options) === null ? ownerOfLock(lock) : undefined;
}
