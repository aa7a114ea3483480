import { batchHolder, holdBatchLock } from './batch-lock.js';
import type { SagaLedger } from './ledger.js';
import type { SagaLeases } from './lease.js';
import { acquireSagaLock, lockTakeoverReason, ownerOfLock, readSagaLock, type SagaLockOptions } from './lock.js';

/**
 * Ownership by lock files in `$ARCADIA_HOME/locks` (one host's processes sharing a SQLite ledger): the lock file says
 * who owns a saga, the ledger's lease epoch decides races. See lock.ts and batch-lock.ts for the rules.
 */
export function lockFileLeases(ledger: SagaLedger, options: SagaLockOptions & { heartbeatMs: number }): SagaLeases {
  return {
    acquire: (sagaId) => acquireSagaLock(ledger, sagaId, options),
    liveOwner: async (sagaId) => {
      const lock = readSagaLock(options.locksDir, sagaId);
      if (!lock) return undefined;
      return lockTakeoverReason(lock, options) === null ? ownerOfLock(lock) : undefined;
    },
    holdBatch: async (batchId) => {
      const hold = holdBatchLock(batchId, options);
      return { release: async () => hold.release() };
    },
    batchHolder: async (batchId) => batchHolder(batchId, options),
  };
}
