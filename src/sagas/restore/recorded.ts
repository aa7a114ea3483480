import type { SagaContext } from '../../engine/types.js';
import { RestoreInputError } from './errors.js';
import { RESTORE_KEYS } from './progress.js';

/** What `create_droplet_from_snapshot` recorded, as the later steps need it. */
export interface RecordedDroplet {
  dropletId: number;
  actionId: number | null;
  /** When the create was requested; null for a droplet adopted before any request of this saga. */
  requestedAt: number | null;
}

export function recordedDroplet(context: Readonly<SagaContext>): RecordedDroplet {
  const dropletId = context[RESTORE_KEYS.dropletId];
  if (typeof dropletId !== 'number' || !Number.isSafeInteger(dropletId) || dropletId < 1)
    throw new RestoreInputError(RESTORE_KEYS.dropletId, 'the id create_droplet_from_snapshot recorded', dropletId);
  const actionId = context[RESTORE_KEYS.actionId];
  const requestedAt = context[RESTORE_KEYS.requestedAt];
  return {
    dropletId,
    actionId: typeof actionId === 'number' ? actionId : null,
    requestedAt: typeof requestedAt === 'number' ? requestedAt : null,
  };
}
