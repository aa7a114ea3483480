import { dropletSize } from '../../../digitalocean/sizes.js';
import type { Droplet, Snapshot } from '../../../digitalocean/types.js';
import { INPUTS_KEY, type SagaRecord } from '../../../engine/types.js';
import type { LeakedRestore } from '../../../output/views/reconcile-view.js';
import { RESTORE_INPUTS } from '../../../sagas/restore/inputs.js';
import { RESTORE_KEYS } from '../../../sagas/restore/progress.js';
import type { App } from '../../app.js';
import { leakedRestoreVerdict, sagaIdsOfTags, type TaggingSaga } from './leaked-restores.js';

function inputOf(saga: SagaRecord, key: string): unknown {
  const inputs = saga.context[INPUTS_KEY];
  return inputs && typeof inputs === 'object' && !Array.isArray(inputs) ? inputs[key] : undefined;
}

function taggingSaga(saga: SagaRecord): TaggingSaga {
  const droplet = saga.context[RESTORE_KEYS.dropletId];
  const name = saga.context[RESTORE_KEYS.name];
  return {
    id: saga.id,
    kind: saga.kind,
    status: saga.status,
    createdAt: saga.createdAt,
    restoredDropletId: typeof droplet === 'number' ? droplet : null,
    restoreName: typeof name === 'string' ? name : null,
  };
}

/**
 * The droplet whose snapshot a restore or drill saga restored: a drill names it; a restore's snapshot says it
 * (when the provider still lists that snapshot). Used to scope leaks to `reconcile <ids>` or `--tag`.
 */
function sourceDropletOf(saga: SagaRecord, snapshots: ReadonlyMap<string, Snapshot>): number | undefined {
  const source = inputOf(saga, RESTORE_INPUTS.sourceDropletId);
  if (typeof source === 'number') return source;
  const snapshotId = inputOf(saga, RESTORE_INPUTS.snapshotId);
  const resource = typeof snapshotId === 'string' ? snapshots.get(snapshotId)?.resource_id : undefined;
  return resource === undefined ? undefined : Number(resource);
}

/**
 * Droplets tagged `arcadia-saga-*` that no live saga accounts for (see leakedRestoreVerdict), with what each costs a
 * month. With a scope (droplet ids or a tag), only leaks of restores of those droplets' snapshots: a saga unknown
 * to this ledger names no droplet, so it shows in an unscoped reconcile only.
 */
export async function findLeakedRestores(
  app: App,
  droplets: readonly Droplet[],
  snapshots: ReadonlyMap<string, Snapshot>,
  scope: ReadonlySet<number> | undefined,
): Promise<LeakedRestore[]> {
  const sagas = new Map<string, SagaRecord>();
  for (const id of new Set(droplets.flatMap((d) => sagaIdsOfTags(d.tags)))) {
    const saga = await app.ledger.getSaga(id);
    if (saga) sagas.set(id, saga);
  }
  const leaks: LeakedRestore[] = [];
  for (const droplet of droplets) {
    const verdict = leakedRestoreVerdict({ ...droplet, createdAt: droplet.created_at }, (id) => {
      const saga = sagas.get(id);
      return saga ? taggingSaga(saga) : undefined;
    });
    if (verdict === null) continue;
    const saga = sagas.get(verdict.sagaId);
    const source = saga ? sourceDropletOf(saga, snapshots) : undefined;
    if (scope && (source === undefined || !scope.has(source))) continue;
    leaks.push({
      dropletId: droplet.id,
      name: droplet.name,
      sizeSlug: droplet.size_slug,
      region: droplet.region.slug,
      createdAt: droplet.created_at,
      sagaId: verdict.sagaId,
      sourceDropletId: source ?? null,
      monthlyCostUsd: dropletSize(droplet.size_slug)?.priceMonthlyUsd ?? null,
      reason: verdict.reason,
      deletable: verdict.deletable,
    });
  }
  return leaks;
}
