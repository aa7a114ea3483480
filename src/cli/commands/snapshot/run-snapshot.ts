import { randomUUID } from 'node:crypto';
import { UsageError } from '../../../errors.js';
import { Output } from '../../../output/output.js';
import { printRetentionPreview, printSnapshotResults } from '../../../output/views/snapshot-view.js';
import { validateLabel } from '../../../sagas/snapshot/naming.js';
import { describePolicy, type RetentionPolicy } from '../../../sagas/snapshot/retention-policy.js';
import { openApp, type App, type CliContext } from '../../app.js';
import { EXIT, exitCodeForError, type ExitCode } from '../../exit-codes.js';
import { validateTag } from '../../parse.js';
import { parseDropletIds } from '../../shared/droplet-ids.js';
import { LedgerRowError } from '../../../db/errors.js';
import { resumeOrphanSagas } from '../../shared/resume-orphans.js';
import { throwIfInterrupted } from '../../interruption.js';
import { interruptionOf } from '../../../engine/errors.js';
import { printResumeHint } from '../../../output/views/interrupt-view.js';
import { monitoringSettings } from '../../../monitoring/settings.js';
import { batchWatcher } from './batch-watcher.js';
import { RunMonitor } from './monitoring.js';
import { dropletOf, exitCodeForRun, resultOf, type DropletOutcome } from './outcome.js';
import { planSnapshots, type SnapshotPlanRequest } from './planning.js';
import { previewRetention } from './retention-preview.js';
import { runPlannedSagas } from './running.js';
import { selectDroplets } from './selection.js';

export interface SnapshotOptions {
  dropletIds: string[];
  tag: string | undefined;
  label: string | undefined;
  powerOff: boolean;
  /** `--with-volumes`: every attached volume snapshotted in the same saga. */
  withVolumes?: boolean;
  /** `--copy-to`: regions the snapshot is copied to once taken. */
  copyTo?: string[];
  /** Retention after each snapshot (`--keep-*`), or undefined for none. */
  retention: RetentionPolicy | undefined;
  concurrency: number;
  detach: boolean;
  dryRun: boolean;
  json: boolean;
  triggeredBy: string | undefined;
  /** `--metrics-file`, over ARCADIA_METRICS_FILE. */
  metricsFile?: string;
  /** `--ping`, over ARCADIA_PING_URL. */
  ping?: string;
}

/**
 * `arcadia snapshot`: checks the options before anything is opened, then previews retention or runs the batch.
 * A run (not a preview) is watched: pinged when it starts and ends, and the metrics file written once its exit code
 * is known, whatever it is, an error's included.
 */
export async function runSnapshot(opts: SnapshotOptions, deps: CliContext): Promise<ExitCode> {
  const settings = monitoringSettings(opts, deps.env);
  if (opts.dryRun) return previewOrRun(opts, deps, randomUUID());
  const batchId = randomUUID();
  const monitor = new RunMonitor(settings, deps, batchId);
  const startedAt = deps.clock.now();
  await monitor.ping('start');
  const watched: WatchedRun = { statuses: [], apiRequests: () => 0 };
  let exitCode: ExitCode = EXIT.sagaFailed;
  try {
    exitCode = await previewOrRun(opts, deps, batchId, watched);
    return exitCode;
  } catch (error) {
    exitCode = exitCodeForError(error);
    throw error;
  } finally {
    const run = { startedAt, finishedAt: deps.clock.now(), exitCode, sagaStatuses: watched.statuses };
    await monitor.finish({ ...run, apiRequests: watched.apiRequests() });
  }
}

/** The droplet a readable saga is for. */
async function dropletOfSagaId(app: App, sagaId: string): Promise<number | undefined> {
  const saga = await app.ledger.getSaga(sagaId);
  return saga ? dropletOf(saga) : undefined;
}

/** What the monitoring of a run learns from inside it. */
interface WatchedRun {
  statuses: string[];
  apiRequests: () => number;
}

/** The command's work; `watched`, when given, learns the run's saga statuses and API requests for the metrics. */
async function previewOrRun(
  opts: SnapshotOptions,
  deps: CliContext,
  batchId: string,
  watched?: WatchedRun,
): Promise<ExitCode> {
  const ids = parseDropletIds(opts.dropletIds);
  if (ids.length === 0 && opts.tag === undefined) throw new UsageError('give droplet ids, --tag, or both');
  if (opts.tag !== undefined) validateTag(opts.tag);
  const label = opts.label !== undefined ? validateLabel(opts.label) : undefined;
  if (opts.dryRun && opts.retention === undefined) {
    throw new UsageError('--dry-run shows what --keep (or another --keep-* option) would delete: give one too');
  }
  if (opts.dryRun && opts.detach) throw new UsageError('--dry-run and --detach do not go together');
  const output = await Output.detect(deps.streams, deps.env, opts.json);
  const app = await openApp(deps, { readOnly: opts.dryRun });
  if (watched) watched.apiRequests = () => app.apiRequestsSent();
  try {
    if (opts.dryRun && opts.retention !== undefined) {
      const preview = await previewRetention(app, ids, opts.tag, opts.retention, opts.withVolumes ?? false);
      printRetentionPreview(output, preview, describePolicy(opts.retention));
      return EXIT.ok;
    }
    const outcomes = await snapshotBatch(app, output, ids, batchId, { ...opts, label });
    const results = outcomes.map(resultOf);
    if (watched) watched.statuses = results.map((result) => result.status);
    printSnapshotResults(output, results);
    const interruption = interruptionOf(app.stop);
    if (interruption && !opts.detach) {
      const unfinished = results.flatMap((r) => (r.status === 'interrupted' && r.sagaId !== null ? [r.sagaId] : []));
      printResumeHint(output, { signalName: interruption.signalName, sagaIds: unfinished });
    }
    return exitCodeForRun(outcomes);
  } finally {
    await app.close();
  }
}

/**
 * One run is one batch, even of one droplet: the batch lock covers its sagas until each takes its own lock. Returns
 * an outcome per selected droplet, then one per saga of an earlier run that this run resumed for other droplets.
 */
async function snapshotBatch(
  app: App,
  output: Output,
  ids: number[],
  batchId: string,
  opts: SnapshotOptions,
): Promise<DropletOutcome[]> {
  const batchLock = await app.leases.holdBatch(batchId);
  // One watcher answers every saga of this run, orphans resumed included: the fleet pays per listing, not per saga.
  app.useSnapshotWatcher(batchWatcher(app));
  try {
    const droplets = await selectDroplets(app.api(), ids, opts.tag);
    if (droplets.length === 0) throw new UsageError(`no droplets carry the tag ${opts.tag}`);
    throwIfInterrupted(app.stop);
    // A crashed earlier run's sagas are finished first, so a droplet never has two of ours in flight.
    const { resumed: orphans, refused } = opts.detach
      ? { resumed: [], refused: [] }
      : await resumeOrphanSagas(app, output, { kind: 'snapshot' }, opts.concurrency);
    throwIfInterrupted(app.stop);
    const request: SnapshotPlanRequest = {
      batchId,
      triggeredBy: opts.triggeredBy ?? (opts.tag !== undefined ? `cron:${opts.tag}` : 'manual'),
      powerOff: opts.powerOff,
      withVolumes: opts.withVolumes ?? false,
      copyTo: opts.copyTo ?? [],
      label: opts.label,
      retention: opts.retention,
    };
    const plan = await planSnapshots(app, output, droplets, request, orphans);
    if (opts.detach) {
      for (const { sagaId } of plan.toRun) output.progress(`saga ${sagaId} recorded, not run (--detach)`);
    }
    const ran = opts.detach
      ? new Map<string, DropletOutcome>()
      : await runPlannedSagas(app, output, plan.toRun, opts.concurrency);
    const own = plan.outcomes.map((outcome) =>
      outcome.kind === 'pending' ? (ran.get(outcome.sagaId) ?? outcome) : outcome,
    );
    const shown = new Set(own.flatMap((outcome) => (outcome.kind === 'ran' ? [outcome.saga.id] : [])));
    const otherOrphans: DropletOutcome[] = orphans
      .filter((saga) => !shown.has(saga.id))
      .map((saga) => ({ kind: 'ran', dropletId: dropletOf(saga) ?? null, saga, resumed: true }));
    // An orphan this version refuses to run (a forged plan, a newer arcadia's step) is left untouched, and said.
    const refusedOrphans: DropletOutcome[] = [];
    for (const error of refused) {
      const dropletId = error instanceof LedgerRowError ? null : ((await dropletOfSagaId(app, error.sagaId)) ?? null);
      refusedOrphans.push({ kind: 'interrupted', dropletId, sagaId: error.sagaId, error });
    }
    return [...own, ...otherOrphans, ...refusedOrphans];
  } finally {
    app.useSnapshotWatcher(undefined);
    await batchLock.release();
  }
}
