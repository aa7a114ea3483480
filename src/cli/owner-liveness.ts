import type { SagaOwner } from '../engine/types.js';
import type { LedgerApp } from './app.js';

/** The executor holding a saga right now, or undefined when nobody (alive and fresh) does. */
export async function liveOwnerOf(app: LedgerApp, sagaId: string): Promise<SagaOwner | undefined> {
  return app.leases.liveOwner(sagaId);
}

/**
 * Whether someone alive is responsible for an unfinished saga: its executor, or, for a saga a batch created and has
 * not started yet, the batch process.
 */
export async function isSagaInGoodHands(
  app: LedgerApp,
  saga: { id: string; status: string; batchId: string | null },
): Promise<boolean> {
  if (await app.leases.liveOwner(saga.id)) return true;
  return saga.status === 'pending' && saga.batchId !== null && (await app.leases.isBatchLive(saga.batchId));
}
