import { randomUUID } from 'node:crypto';
import type { Snapshot } from '../../../digitalocean/types.js';
import { interruptionOf } from '../../../engine/errors.js';
import { UsageError } from '../../../errors.js';
import { Output } from '../../../output/output.js';
import { printDrillReport, type DrillReport } from '../../../output/views/drill-view.js';
import { printResumeHint } from '../../../output/views/interrupt-view.js';
import { DRILL_SAGA } from '../../../sagas/restore/drill-saga.js';
import { openApp, type App, type CliContext } from '../../app.js';
import { throwIfInterrupted } from '../../interruption.js';
import { validateTag } from '../../parse.js';
import { parseDropletIds } from '../../shared/droplet-ids.js';
import { resumeOrphanSagas } from '../../shared/resume-orphans.js';
import { exitCodeForRun, type DropletOutcome } from '../snapshot/outcome.js';
import { runPlannedSagas } from '../snapshot/running.js';
import { selectDroplets } from '../snapshot/selection.js';
import type { ExitCode } from '../../exit-codes.js';
import { drillResultOf, sourceDropletOf } from './outcome.js';
import { liveDrillSagas, planDrills } from './planning.js';
import { chooseDrillTargets } from './selection.js';

/**
 * What one drill costs in requests, for the quota pacing: a create, the polls until active, a delete and its
 * confirmation, and the tag look-up before the create (about 8 measured against the simulator with 5 s to active).
 */
const REQUESTS_PER_DRILL = 8;

export interface DrillOptions {
  dropletIds: string[];
  tag: string | undefined;
  /** How many droplets this run drills: those drilled longest ago (never first). */
  sample: number;
  concurrency: number;
  json: boolean;
  triggeredBy: string | undefined;
}

/** Arcadia's droplet snapshots the provider lists now, by id: a recorded snapshot deleted by hand is not drilled. */
async function listedSnapshots(app: App): Promise<Map<string, Snapshot>> {
  const listed = await app.api().listSnapshots({ resourceType: 'droplet' });
  return new Map(listed.map((snapshot) => [snapshot.id, snapshot]));
}

/**
 * `arcadia drill`: for `sample` droplets of the set, restores the newest arcadia snapshot into a temporary droplet,
 * waits until it is active, and deletes it, one drill saga per droplet, run as a batch (bounded concurrency, a batch
 * lock, a crashed drill run's sagas finished first, interruptions resumable).
 */
export async function runDrill(opts: DrillOptions, deps: CliContext): Promise<ExitCode> {
  const ids = parseDropletIds(opts.dropletIds);
  if (ids.length === 0 && opts.tag === undefined) throw new UsageError('give droplet ids, --tag, or both');
  if (opts.tag !== undefined) validateTag(opts.tag);
  const output = await Output.detect(deps.streams, deps.env, opts.json);
  const app = await openApp(deps);
  const batchId = randomUUID();
  try {
    const { report, outcomes } = await drillBatch(app, output, ids, batchId, opts);
    printDrillReport(output, report);
    const interruption = interruptionOf(app.stop);
    if (interruption) {
      const unfinished = report.drills.flatMap((r) =>
        r.status === 'interrupted' && r.sagaId !== null ? [r.sagaId] : [],
      );
      printResumeHint(output, { signalName: interruption.signalName, sagaIds: unfinished });
    }
    return exitCodeForRun(outcomes);
  } finally {
    await app.close();
  }
}

async function drillBatch(
  app: App,
  output: Output,
  ids: number[],
  batchId: string,
  opts: DrillOptions,
): Promise<{ report: DrillReport; outcomes: DropletOutcome[] }> {
  const batchLock = await app.leases.holdBatch(batchId);
  try {
    const droplets = await selectDroplets(app.api(), ids, opts.tag);
    if (droplets.length === 0) throw new UsageError(`no droplets carry the tag ${opts.tag}`);
    throwIfInterrupted(app.stop);
    // A crashed drill run's sagas are finished first: no temporary droplet is left running, and their drills count.
    const { resumed: orphans, refused } = await resumeOrphanSagas(
      app,
      output,
      { kind: DRILL_SAGA.kind },
      opts.concurrency,
    );
    throwIfInterrupted(app.stop);
    const facts = await app.ledger.monitoringFacts();
    const live = await liveDrillSagas(app);
    const skipped: DropletOutcome[] = droplets.flatMap((d) => {
      const owner = live.get(d.id);
      const reason = `saga ${owner} is already drilling this droplet`;
      return owner === undefined ? [] : [{ kind: 'skipped', dropletId: d.id, sagaId: owner, reason } as const];
    });
    // An orphan this run finished was a crashed run's drill of that droplet: it counts as this run's, not twice.
    const finished = new Set(orphans.flatMap((saga) => sourceDropletOf(saga) ?? []));
    const candidates = droplets
      .filter((d) => !live.has(d.id) && !finished.has(d.id))
      .map(({ id, name }) => ({ id, name }));
    const sample = Math.max(0, opts.sample - droplets.filter((d) => finished.has(d.id)).length);
    const selection = chooseDrillTargets(candidates, facts, await listedSnapshots(app), sample);
    const triggeredBy = opts.triggeredBy ?? (opts.tag !== undefined ? `cron:${opts.tag}` : 'manual');
    const plan = await planDrills(app, output, selection.toDrill, { batchId, triggeredBy });
    const ran = (await runPlannedSagas(app, output, plan.toRun, opts.concurrency, REQUESTS_PER_DRILL)).outcomes;
    const own = plan.outcomes.map((o) => (o.kind === 'pending' ? (ran.get(o.sagaId) ?? o) : o));
    const resumed: DropletOutcome[] = orphans.map((saga) => ({
      kind: 'ran',
      dropletId: sourceDropletOf(saga) ?? null,
      saga,
      resumed: true,
    }));
    // An orphan this version refuses to run is left untouched, and said (exit 4), as the snapshot batch does.
    const refusedOrphans: DropletOutcome[] = refused.map((error) => ({
      kind: 'interrupted',
      dropletId: null,
      sagaId: error.sagaId,
      error,
    }));
    const outcomes = [...skipped, ...own, ...resumed, ...refusedOrphans];
    const drills = outcomes.map(drillResultOf);
    const notDrilled = [
      ...selection.noSnapshot.map((d) => ({
        dropletId: d.id,
        dropletName: d.name,
        reason: 'no arcadia snapshot of it in the ledger that the provider still lists',
      })),
      ...plan.refused,
    ];
    const costUsd = drills.reduce((sum, r) => sum + (r.costUsd ?? 0), 0);
    return { report: { drills, notDrilled, notSampled: selection.notSampled, costUsd }, outcomes };
  } finally {
    await batchLock.release();
  }
}
