import { lockTakeoverReason, ownerOfLock, readSagaLock } from '../engine/lock.js';
import { currentProcessIdentity } from '../engine/process-identity.js';
import type { SagaOwner } from '../engine/types.js';
import type { App } from './app.js';

/** The executor holding a saga right now, or undefined when nobody (alive and fresh) does. */
export function liveOwnerOf(app: App, sagaId: string): SagaOwner | undefined {
  const lock = readSagaLock(app.locksDir, sagaId);
  if (!lock) return undefined;
  const reason = lockTakeoverReason(lock, { locksDir: app.locksDir, staleMs: app.settings.lockStaleMs, clock: app.clock, identity: currentProcessIdentity() });
  return reason === null ? ownerOfLock(lock) : undefined;
}
