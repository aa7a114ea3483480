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
  return (await responsibleFor(app, saga)) !== undefined;
}

/** Who is responsible for an unfinished saga right now: its executor, else the batch that made it, else nobody. */
export async function responsibleFor(
  app: LedgerApp,
  saga: { id: string; status: string; batchId: string | null },
): Promise<SagaOwner | undefined> {
  const owner = await app.leases.liveOwner(saga.id);
  if (owner) return owner;
  return saga.status === 'pending' && saga.batchId !== null ? app.leases.batchHolder(saga.batchId) : undefined;
}
