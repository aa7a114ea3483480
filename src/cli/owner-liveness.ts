import { isBatchLive } from '../engine/batch-lock.js';
import { lockTakeoverReason, ownerOfLock, readSagaLock, type SagaLockOptions } from '../engine/lock.js';
import { currentProcessIdentity } from '../engine/process-identity.js';
import type { SagaOwner } from '../engine/types.js';
import type { LedgerApp } from './app.js';

export function lockOptions(app: LedgerApp): SagaLockOptions {
  return {
    locksDir: app.locksDir,
    staleMs: app.settings.lockStaleMs,
    clock: app.clock,
    identity: currentProcessIdentity(),
  };
}

/** The executor holding a saga right now, or undefined when nobody (alive and fresh) does. */
export function liveOwnerOf(app: LedgerApp, sagaId: string): SagaOwner | undefined {
  const lock = readSagaLock(app.locksDir, sagaId);
  if (!lock) return undefined;
  return lockTakeoverReason(lock, lockOptions(app)) === null ? ownerOfLock(lock) : undefined;
}

/**
 * Whether someone alive is responsible for an unfinished saga: its executor, or, for a saga a batch created and has
 * not started yet, the batch process.
 */
export function isSagaInGoodHands(
  app: LedgerApp,
  saga: { id: string; status: string; batchId: string | null },
): boolean {
  if (liveOwnerOf(app, saga.id)) return true;
  return saga.status === 'pending' && saga.batchId !== null && isBatchLive(saga.batchId, lockOptions(app));
}
