import type { ImageActionRecord, VolumeSnapshotRecord } from '../../src/simulator/index.js';
import { INPUTS_KEY } from '../../src/engine/types.js';
import { parseVolumeSnapshotName, volumeSnapshotName } from '../../src/sagas/snapshot/volume-naming.js';
import type { CheckedSaga, Violation } from './invariants.js';

/** What the volume and copy checks need of the simulator; absent in worlds fabricated before volumes existed. */
export interface CheckedVolumeWorld {
  volumeSnapshots?: Pick<VolumeSnapshotRecord, 'id' | 'volumeId' | 'name' | 'deletedAt' | 'createdBy'>[];
  imageActions?: Pick<ImageActionRecord, 'id' | 'imageId' | 'type' | 'region' | 'status'>[];
  snapshotRegions?: Record<string, string[]>;
}

function inputOf(saga: CheckedSaga, key: string): unknown {
  const inputs = saga.context[INPUTS_KEY];
  return inputs && typeof inputs === 'object' && !Array.isArray(inputs) ? inputs[key] : undefined;
}

function volumeIdsOf(saga: CheckedSaga): string[] {
  const ids = saga.context.volume_ids;
  return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
}

function recordedOf(saga: CheckedSaga): Record<string, unknown> {
  const made = saga.context.volume_snapshots;
  return made && typeof made === 'object' && !Array.isArray(made) ? made : {};
}

/** Whether a succeeded saga prunes this droplet, so a deleted older volume snapshot may be retention's doing. */
function prunedDroplets(sagas: readonly CheckedSaga[]): Set<number> {
  const ids = sagas.filter((s) => s.status === 'succeeded' && s.stepNames.includes('prune_snapshots'));
  return new Set(ids.map((s) => Number(inputOf(s, 'droplet_provider_id'))));
}

/**
 * Volume snapshots (section 13): one per volume per saga, kept by a succeeded saga under the id it recorded, none
 * left by a rolled-back one, none under arcadia's names without a saga, and none deleted that arcadia did not make.
 */
function checkVolumeSnapshots(sagas: readonly CheckedSaga[], world: CheckedVolumeWorld, out: Violation[]): void {
  const snapshots = world.volumeSnapshots ?? [];
  const names = new Set<string>();
  const pruners = prunedDroplets(sagas);
  for (const saga of sagas.filter((s) => s.stepNames.includes('create_volume_snapshots'))) {
    const dropletId = Number(inputOf(saga, 'droplet_provider_id'));
    for (const volumeId of volumeIdsOf(saga)) {
      const name = volumeSnapshotName(dropletId, saga.id, volumeId);
      names.add(name);
      const made = snapshots.filter((s) => s.volumeId === volumeId && s.name === name);
      const alive = made.filter((s) => s.deletedAt === null);
      const where = `${saga.status} saga ${saga.id}, volume ${volumeId}`;
      if (made.length > 1)
        out.push({ rule: 'duplicate', sagaId: saga.id, message: `${where}: ${made.length} snapshots ${name}` });
      if (saga.status === 'succeeded') {
        const recorded = recordedOf(saga)[volumeId];
        if (alive.length === 0 && !(made.length === 1 && pruners.has(dropletId))) {
          out.push({ rule: 'missing', sagaId: saga.id, message: `${where}: no snapshot ${name}` });
        } else if (alive.length === 1 && alive[0]?.id !== recorded) {
          const message = `${where}: recorded ${String(recorded)}, the provider has ${alive[0]?.id}`;
          out.push({ rule: 'wrong-id', sagaId: saga.id, message });
        }
      } else if (alive.length > 0) {
        out.push({
          rule: 'leak',
          sagaId: saga.id,
          message: `${where}: left snapshot ${alive.map((s) => s.id).join(', ')}`,
        });
      }
    }
  }
  for (const snapshot of snapshots) {
    const ours = parseVolumeSnapshotName(snapshot.name) !== undefined;
    if (snapshot.deletedAt === null && ours && snapshot.createdBy !== null && !names.has(snapshot.name)) {
      out.push({
        rule: 'leak',
        message: `volume snapshot ${snapshot.id} ${snapshot.name}: no saga in the ledger has that name`,
      });
    }
    if (snapshot.deletedAt !== null && !ours) {
      out.push({
        rule: 'foreign-delete',
        message: `volume snapshot ${snapshot.id} "${snapshot.name}" was deleted, arcadia did not make it`,
      });
    }
  }
}

/**
 * Copies (section 13): per snapshot and region at most one transfer that did not error, none still running once the
 * sagas ended, and every region of a succeeded saga's copy_to listed on its snapshot.
 */
function checkTransfers(sagas: readonly CheckedSaga[], world: CheckedVolumeWorld, out: Violation[]): void {
  const transfers = (world.imageActions ?? []).filter((a) => a.type === 'transfer');
  const perTarget = new Map<string, number>();
  for (const action of transfers.filter((a) => a.status !== 'errored')) {
    const key = `${action.imageId} ${String(action.region)}`;
    perTarget.set(key, (perTarget.get(key) ?? 0) + 1);
  }
  for (const [key, count] of perTarget) {
    if (count > 1)
      out.push({ rule: 'duplicate', message: `${count} transfers of snapshot ${key.replace(' ', ' to ')}` });
  }
  for (const action of transfers.filter((a) => a.status === 'in-progress')) {
    out.push({
      rule: 'running-action',
      message: `transfer ${action.id} of snapshot ${action.imageId} is still running`,
    });
  }
  for (const saga of sagas.filter(
    (s) => s.status === 'succeeded' && s.stepNames.includes('copy_snapshot_to_regions'),
  )) {
    const id = saga.context.snapshot_id;
    const regions = world.snapshotRegions?.[String(id)];
    const wanted = inputOf(saga, 'copy_to');
    if (regions === undefined || !Array.isArray(wanted)) continue; // pruned since, or nothing asked
    const missing = wanted.filter((r) => typeof r === 'string' && !regions.includes(r));
    if (missing.length > 0) {
      out.push({
        rule: 'missing',
        sagaId: saga.id,
        message: `succeeded saga ${saga.id}: snapshot ${String(id)} lacks ${missing.join(', ')}`,
      });
    }
  }
}

export function checkVolumesAndCopies(
  sagas: readonly CheckedSaga[],
  world: CheckedVolumeWorld,
  out: Violation[],
): void {
  checkVolumeSnapshots(sagas, world, out);
  checkTransfers(sagas, world, out);
}
