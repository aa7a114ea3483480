import { randomUUID } from 'node:crypto';
import type { Snapshot } from '../../../digitalocean/types.js';
import { errorMessage } from '../../../engine/errors.js';
import type { SagaLedger } from '../../../engine/ledger.js';
import type { Output } from '../../../output/output.js';
import { DRILL_SAGA, drillSagaSteps } from '../../../sagas/restore/drill-saga.js';
import { planRestore, type RestorePlan } from '../../../sagas/restore/restore-plan.js';
import type { App } from '../../app.js';
import { isSagaInGoodHands } from '../../owner-liveness.js';
import type { DropletOutcome } from '../snapshot/outcome.js';
import type { PlannedSaga } from '../snapshot/planning.js';
import { sourceDropletOf } from './outcome.js';
import type { DrillTarget } from './selection.js';

/** Every temporary droplet carries this tag besides the saga's own, so an operator sees what it is. */
export const DRILL_TAG = 'arcadia-drill';

export interface DrillPlan {
  outcomes: DropletOutcome[];
  toRun: PlannedSaga[];
  /** Targets no saga was made for, with why (no size fits the snapshot's disk). */
  refused: { dropletId: number; dropletName: string; reason: string }[];
}

/** `arcadia-drill-<first 8 hex of the saga id>`: a valid droplet name that says what the droplet is for. */
export function drillDropletName(sagaId: string): string {
  return `arcadia-drill-${sagaId.replace(/-/g, '').slice(0, 8)}`;
}

/** Unfinished drills per source droplet whose owner is alive: another drill run is working on that droplet. */
export async function liveDrillSagas(app: App, ledger: SagaLedger = app.ledger): Promise<Map<number, string>> {
  const live = new Map<number, string>();
  for (const id of await ledger.listUnfinishedSagaIds({ kind: DRILL_SAGA.kind })) {
    const saga = await ledger.getSaga(id);
    const dropletId = saga ? sourceDropletOf(saga) : undefined;
    if (saga && dropletId !== undefined && (await isSagaInGoodHands(app, saga))) live.set(dropletId, id);
  }
  return live;
}

/**
 * Records one drill saga per target, in the ledger's exclusive section (as the snapshot plan does), so two
 * overlapping drill runs never drill one droplet twice at once: the second sees the first's saga and skips it.
 * The temporary droplet goes where `arcadia restore` would put it by default: the snapshot's first region, at the
 * cheapest size whose disk fits it.
 */
export async function planDrills(
  app: App,
  output: Output,
  targets: DrillTarget<Snapshot>[],
  request: { batchId: string; triggeredBy: string },
): Promise<DrillPlan> {
  return app.ledger.exclusive(async (ledger) => {
    const live = await liveDrillSagas(app, ledger);
    const plan: DrillPlan = { outcomes: [], toRun: [], refused: [] };
    for (const { dropletId, dropletName, snapshotId, snapshot } of targets) {
      const owner = live.get(dropletId);
      if (owner) {
        const reason = `saga ${owner} is already drilling this droplet`;
        plan.outcomes.push({ kind: 'skipped', dropletId, sagaId: owner, reason });
        output.progress(`droplet ${dropletId}: skipped, ${reason}`);
        continue;
      }
      let where: RestorePlan;
      try {
        where = planRestore(snapshot, {});
      } catch (error) {
        // The restore command's own refusals (no region, no size that fits): this droplet is not drilled, said why.
        plan.refused.push({ dropletId, dropletName, reason: errorMessage(error) });
        continue;
      }
      const { size, region } = where;
      const id = randomUUID();
      const template = drillSagaSteps({
        snapshotId,
        sourceDropletId: dropletId,
        dropletName: drillDropletName(id),
        sizeSlug: size.slug,
        region,
        tags: [DRILL_TAG],
      });
      const saga = await ledger.createSaga(
        { id, ...template, triggeredBy: request.triggeredBy, deploymentId: null, batchId: request.batchId },
        app.clock.now(),
      );
      plan.toRun.push({ dropletId, sagaId: saga.id });
      plan.outcomes.push({ kind: 'pending', dropletId, sagaId: saga.id });
    }
    return plan;
  });
}
