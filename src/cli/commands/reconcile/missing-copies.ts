import type { Snapshot } from '../../../digitalocean/types.js';
import { INPUTS_KEY, type SagaRecord } from '../../../engine/types.js';
import type { MissingCopy } from '../../../output/views/reconcile-view.js';

function copyToOf(saga: SagaRecord): string[] {
  const inputs = saga.context[INPUTS_KEY];
  const raw = inputs && typeof inputs === 'object' && !Array.isArray(inputs) ? inputs.copy_to : undefined;
  const list = typeof raw === 'string' ? raw.split(',') : raw;
  return Array.isArray(list) ? list.filter((r): r is string => typeof r === 'string') : [];
}

/**
 * The regions a succeeded saga copied `snapshot` to that its listing no longer (or never) shows: a copy removed
 * by hand, or a saga an older arcadia finished. Only the saga that recorded this very snapshot counts.
 */
export function missingCopyOf(sagas: readonly SagaRecord[], snapshot: Snapshot, dropletId: number): MissingCopy | null {
  const saga = sagas.find((s) => s.status === 'succeeded' && s.context.snapshot_id === snapshot.id);
  if (!saga) return null;
  const missingRegions = copyToOf(saga).filter((region) => !snapshot.regions.includes(region));
  if (missingRegions.length === 0) return null;
  const { id, name, regions } = snapshot;
  return { id, name, dropletId, sagaId: saga.id, missingRegions, regions: [...regions] };
}
