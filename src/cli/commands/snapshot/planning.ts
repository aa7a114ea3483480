import { randomUUID } from 'node:crypto';
import type { SagaLedger } from '../../../engine/ledger.js';
import type { SagaOwner, SagaRecord } from '../../../engine/types.js';
import type { Output } from '../../../output/output.js';
import type { RetentionPolicy } from '../../../sagas/snapshot/retention-policy.js';
import { snapshotSagaTemplate } from '../../../sagas/snapshot/snapshot-saga.js';
import type { App } from '../../app.js';
import { responsibleFor } from '../../owner-liveness.js';
import { dropletOf, type DropletOutcome } from './outcome.js';
import type { SelectedDroplet } from './selection.js';

/** What each new saga of the run is made of. */
export interface SnapshotPlanRequest {
  batchId: string;
  triggeredBy: string;
  powerOff: boolean;
  withVolumes: boolean;
  copyTo: string[];
  label: string | undefined;
  retention: RetentionPolicy | undefined;
}

export interface PlannedSaga {
  dropletId: number;
  sagaId: string;
}

export interface SnapshotPlan {
  /** One per selected droplet, in selection order; a planned saga's stays `pending` until it has run. */
  outcomes: DropletOutcome[];
  toRun: PlannedSaga[];
}

/** Unfinished snapshot sagas per droplet whose owner is alive: cron overlapped with a run still working. */
async function liveSnapshotSagas(
  app: App,
  ledger: SagaLedger,
): Promise<Map<number, { sagaId: string; holder: SagaOwner }>> {
  const live = new Map<number, { sagaId: string; holder: SagaOwner }>();
  for (const id of await ledger.listUnfinishedSagaIds({ kind: 'snapshot' })) {
    const saga = await ledger.getSaga(id);
    const dropletId = saga ? dropletOf(saga) : undefined;
    const holder = saga && dropletId !== undefined ? await responsibleFor(app, saga) : undefined;
    if (dropletId !== undefined && holder) live.set(dropletId, { sagaId: id, holder });
  }
  return live;
}

/**
 * Skips droplets another live run is snapshotting and records a saga for each of the others, holding the ledger's
 * write lock throughout: two overlapping cron runs serialize here, so no droplet gets two sagas.
 */
export async function planSnapshots(
  app: App,
  output: Output,
  droplets: SelectedDroplet[],
  request: SnapshotPlanRequest,
  finishedOrphans: SagaRecord[],
): Promise<SnapshotPlan> {
  // A crashed run's saga this run just finished is this run's snapshot of that droplet: never take a second one.
  const orphanOf = new Map(finishedOrphans.map((saga) => [dropletOf(saga), saga] as const));
  return app.ledger.exclusive(async (ledger) => {
    const live = await liveSnapshotSagas(app, ledger);
    const outcomes: DropletOutcome[] = [];
    const toRun: PlannedSaga[] = [];
    for (const { id: dropletId, diskGigabytes, name: dropletName } of droplets) {
      const orphan = orphanOf.get(dropletId);
      if (orphan) {
        outcomes.push({ kind: 'ran', dropletId, saga: orphan, resumed: true });
        continue;
      }
      const owner = live.get(dropletId);
      if (owner) {
        const by = `pid ${owner.holder.pid} on ${owner.holder.host}`;
        const reason = `saga ${owner.sagaId} is already snapshotting this droplet (${by})`;
        outcomes.push({ kind: 'skipped', dropletId, sagaId: owner.sagaId, reason });
        output.progress(`droplet ${dropletId}: skipped, ${reason}`);
        continue;
      }
      const template = snapshotSagaTemplate({
        dropletId,
        diskGigabytes,
        dropletName,
        powerOff: request.powerOff,
        withVolumes: request.withVolumes,
        copyTo: request.copyTo,
        ...(request.label ? { label: request.label } : {}),
        ...(request.retention !== undefined ? { retention: request.retention } : {}),
      });
      const { triggeredBy, batchId } = request;
      const saga = await ledger.createSaga(
        { id: randomUUID(), ...template, triggeredBy, deploymentId: null, batchId },
        app.clock.now(),
      );
      toRun.push({ dropletId, sagaId: saga.id });
      outcomes.push({ kind: 'pending', dropletId, sagaId: saga.id });
    }
    return { outcomes, toRun };
  });
}
