import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { NotFoundError } from '../../digitalocean/errors.js';
import type { DigitalOceanClient } from '../../digitalocean/client.js';
import { SagaOwnedError, errorMessage } from '../../engine/errors.js';
import { INPUTS_KEY, type SagaRecord } from '../../engine/types.js';
import { UsageError } from '../../errors.js';
import { Output } from '../../output/output.js';
import { printRetentionPreview, printSnapshotResults, type RetentionPreview, type SnapshotResult } from '../../output/views/snapshot-view.js';
import { snapshotsToPrune } from '../../sagas/snapshot/retention.js';
import { validateLabel } from '../../sagas/snapshot/naming.js';
import { PRUNED_KEY, PRUNE_ERROR_KEY } from '../../sagas/snapshot/prune-step.js';
import { snapshotSagaTemplate } from '../../sagas/snapshot/snapshot-saga.js';
import { openApp, type App, type CliContext } from '../app.js';
import { EXIT, exitCodeForError, worstExitCode, type ExitCode } from '../exit-codes.js';
import { isSagaInGoodHands, lockOptions } from '../owner-liveness.js';
import { holdBatchLock } from '../../engine/batch-lock.js';
import { collect, intInRange, validateTag } from '../parse.js';
import { runSagaReporting, runSagaWithProgress } from '../run-saga.js';
import { batchProgress } from '../../output/views/batch-progress.js';
import { resumeOrphans } from './saga-resume.js';
import { runPool } from '../pool.js';

export interface SnapshotOptions {
  dropletIds: string[];
  tag: string | undefined;
  label: string | undefined;
  powerOff: boolean;
  keep: number | undefined;
  concurrency: number;
  detach: boolean;
  dryRun: boolean;
  json: boolean;
  triggeredBy: string | undefined;
}

export function parseDropletIds(values: string[]): number[] {
  const ids = values.map((value) => {
    if (!/^\d{1,15}$/.test(value) || Number(value) < 1) throw new UsageError(`"${value.slice(0, 40)}" is not a droplet id (a positive whole number)`);
    return Number(value);
  });
  return [...new Set(ids)];
}

/** A droplet to snapshot, with its disk size: a new droplet's first snapshot is timed by droplets of its size. */
interface SelectedDroplet {
  id: number;
  diskGigabytes: number;
}

/** The droplets to snapshot, each checked to exist before any saga is created. */
async function selectDroplets(client: DigitalOceanClient, ids: number[], tag: string | undefined): Promise<SelectedDroplet[]> {
  const selected = new Map<number, SelectedDroplet>();
  for (const id of ids) {
    try {
      const droplet = await client.getDroplet(id);
      selected.set(id, { id, diskGigabytes: droplet.disk });
    } catch (error) {
      if (error instanceof NotFoundError) throw new UsageError(`droplet ${id} not found: ${error.providerMessage}`);
      throw error;
    }
  }
  if (tag !== undefined) for (const droplet of await client.listDroplets({ tagName: tag })) selected.set(droplet.id, { id: droplet.id, diskGigabytes: droplet.disk });
  return [...selected.values()];
}

function dropletOf(saga: SagaRecord): number | undefined {
  const inputs = saga.context[INPUTS_KEY];
  const id = inputs && typeof inputs === 'object' && !Array.isArray(inputs) ? inputs.droplet_provider_id : undefined;
  return typeof id === 'number' ? id : undefined;
}

export function resultOf(saga: SagaRecord, dropletId: number): SnapshotResult {
  const text = (key: string): string | null => {
    const value = saga.context[key];
    return typeof value === 'string' ? value : null;
  };
  const size = saga.context.snapshot_size_gigabytes;
  const pruned = saga.context[PRUNED_KEY];
  const pruneError = text(PRUNE_ERROR_KEY);
  return {
    dropletId,
    sagaId: saga.id,
    status: saga.status,
    snapshotId: saga.status === 'succeeded' ? text('snapshot_id') : null,
    snapshotName: saga.status === 'succeeded' ? text('snapshot_name') : null,
    error: saga.error ?? (pruneError ? `retention: ${pruneError}` : null),
    pruneFailed: pruneError !== null,
    sizeGigabytes: typeof size === 'number' ? size : null,
    durationMs: saga.updatedAt - saga.createdAt,
    ...(Array.isArray(pruned) ? { pruned: pruned.map(String) } : {}),
  };
}

/** Unfinished snapshot sagas per droplet whose owner is alive: cron overlapped with a run still working. */
function liveSnapshotSagas(app: App): Map<number, string> {
  const live = new Map<number, string>();
  for (const id of app.ledger.listUnfinishedSagaIds()) {
    const saga = app.ledger.getSaga(id);
    const dropletId = saga ? dropletOf(saga) : undefined;
    if (saga && dropletId !== undefined && saga.kind === 'snapshot' && isSagaInGoodHands(app, saga)) live.set(dropletId, id);
  }
  return live;
}

interface PlannedSaga {
  dropletId: number;
  sagaId: string;
}

/**
 * Skips droplets another live run is snapshotting and records a saga for each of the others, holding the ledger's
 * write lock throughout: two overlapping cron runs serialize here, so no droplet gets two sagas.
 */
function planBatch(
  app: App,
  output: Output,
  droplets: SelectedDroplet[],
  opts: SnapshotOptions,
  batchId: string,
  label: string | undefined,
  finishedOrphans: SagaRecord[],
): { planned: PlannedSaga[]; results: Map<number, SnapshotResult> } {
  const triggeredBy = opts.triggeredBy ?? (opts.tag !== undefined ? `cron:${opts.tag}` : 'manual');
  // A crashed run's saga this run just finished is this run's snapshot of that droplet: never take a second one.
  const orphanOf = new Map(finishedOrphans.map((saga) => [dropletOf(saga), saga] as const));
  return app.ledger.exclusive(() => {
    const live = liveSnapshotSagas(app);
    const results = new Map<number, SnapshotResult>();
    const planned: PlannedSaga[] = [];
    for (const { id: dropletId, diskGigabytes } of droplets) {
      const orphan = orphanOf.get(dropletId);
      if (orphan) {
        results.set(dropletId, resultOf(orphan, dropletId));
        continue;
      }
      const owner = live.get(dropletId);
      if (owner) {
        const reason = `saga ${owner} is already snapshotting this droplet`;
        results.set(dropletId, { dropletId, sagaId: owner, status: 'skipped', snapshotId: null, snapshotName: null, error: reason });
        output.progress(`droplet ${dropletId}: skipped, ${reason}`);
        continue;
      }
      const template = snapshotSagaTemplate({ dropletId, diskGigabytes, powerOff: opts.powerOff, ...(label ? { label } : {}), ...(opts.keep !== undefined ? { keep: opts.keep } : {}) });
      const saga = app.ledger.createSaga({ id: randomUUID(), ...template, triggeredBy, deploymentId: null, batchId }, app.clock.now());
      planned.push({ dropletId, sagaId: saga.id });
      results.set(dropletId, resultOf(saga, dropletId));
    }
    return { planned, results };
  });
}

async function runBatch(app: App, output: Output, planned: PlannedSaga[], results: Map<number, SnapshotResult>, concurrency: number): Promise<void> {
  // One droplet gets the familiar spinner; a fleet gets one live line per droplet in flight.
  if (planned.length === 1 && planned[0]) {
    const { dropletId, sagaId } = planned[0];
    await runOne(dropletId, sagaId, results, () => runSagaWithProgress(app, output, sagaId, `droplet ${dropletId}`));
    return;
  }
  const view = batchProgress(output, planned.length);
  try {
    await runPool(planned, concurrency, async ({ dropletId, sagaId }) => {
      const key = `droplet ${dropletId}`;
      const result = await runOne(dropletId, sagaId, results, () => runSagaReporting(app, sagaId, (text) => view.update(key, text)));
      view.done(key, `${result.status}${result.snapshotName ? ` ${result.snapshotName}` : ''}${result.error ? ` - ${result.error}` : ''}`);
    });
  } finally {
    view.stop();
  }
}

async function runOne(dropletId: number, sagaId: string, results: Map<number, SnapshotResult>, run: () => Promise<SagaRecord>): Promise<SnapshotResult> {
  let result: SnapshotResult;
  try {
    result = resultOf(await run(), dropletId);
  } catch (error) {
    // Owned by someone else: in good hands. Anything else stops this droplet only; the saga stays resumable.
    const status = error instanceof SagaOwnedError ? 'skipped' : 'interrupted';
    result = { dropletId, sagaId, status, snapshotId: null, snapshotName: null, error: errorMessage(error) };
    if (status === 'interrupted') interruptions.set(result, error);
  }
  results.set(dropletId, result);
  return result;
}

export async function runSnapshot(opts: SnapshotOptions, ctx: CliContext): Promise<ExitCode> {
  const ids = parseDropletIds(opts.dropletIds);
  if (ids.length === 0 && opts.tag === undefined) throw new UsageError('give droplet ids, --tag, or both');
  if (opts.tag !== undefined) validateTag(opts.tag);
  const label = opts.label !== undefined ? validateLabel(opts.label) : undefined;
  if (opts.dryRun && opts.keep === undefined) throw new UsageError('--dry-run shows what --keep would delete: give --keep too');
  if (opts.dryRun && opts.detach) throw new UsageError('--dry-run and --detach do not go together');
  const output = await Output.detect(ctx.streams, ctx.env, opts.json);
  if (opts.dryRun && opts.keep !== undefined) return previewRetention(ctx, output, ids, opts.tag, opts.keep);
  const app = await openApp(ctx);
  // Every run is a batch, even of one: the batch lock covers its sagas until each takes its own lock.
  const batchId = randomUUID();
  const batchLock = holdBatchLock(batchId, { ...lockOptions(app), heartbeatMs: app.settings.heartbeatMs });
  try {
    const droplets = await selectDroplets(app.api(), ids, opts.tag);
    if (droplets.length === 0) throw new UsageError(`no droplets carry the tag ${opts.tag}`);
    // A crashed earlier run's sagas are finished first, so a droplet never has two of ours in flight.
    const finishedOrphans = opts.detach ? [] : await resumeOrphans(app, output, { kind: 'snapshot' }, opts.concurrency);
    const { planned, results } = planBatch(app, output, droplets, opts, batchId, label, finishedOrphans);
    if (opts.detach) for (const { sagaId } of planned) output.progress(`saga ${sagaId} recorded; run it with: arcadia saga resume ${sagaId}`);
    else await runBatch(app, output, planned, results, opts.concurrency);
    const ordered = droplets.map(({ id }) => results.get(id)).filter((r): r is SnapshotResult => r !== undefined);
    printSnapshotResults(output, ordered);
    return worstExitCode(ordered.map(exitCodeForResult));
  } finally {
    batchLock.release();
    app.close();
  }
}

/** `--keep n --dry-run`: what retention would delete after one more snapshot per droplet; changes nothing. */
async function previewRetention(ctx: CliContext, output: Output, ids: number[], tag: string | undefined, keep: number): Promise<ExitCode> {
  const app = await openApp(ctx, { readOnly: true });
  try {
    const client = app.api();
    const preview: RetentionPreview[] = [];
    for (const { id: dropletId } of await selectDroplets(client, ids, tag)) {
      const listed = (await client.listDropletSnapshots(dropletId)).map((s) => ({ id: String(s.id), name: s.name, createdAt: s.created_at, type: s.type }));
      // The snapshot this run would take counts as the newest: it is not in the listing yet.
      const doomed = snapshotsToPrune(listed, dropletId, keep, 'the-new-snapshot');
      preview.push({ dropletId, wouldDelete: doomed.map((d) => ({ id: d.id, name: d.name, createdAt: d.createdAt })) });
    }
    printRetentionPreview(output, preview, keep);
    return EXIT.ok;
  } finally {
    app.close();
  }
}

/** Why a droplet's saga stopped unfinished: its exit code is the error's (a rejected token or a busy ledger is 4). */
const interruptions = new WeakMap<SnapshotResult, unknown>();

/** Skipped counts as fine (the other run has it); a retention failure leaves old snapshots behind: attention. */
function exitCodeForResult(result: SnapshotResult): ExitCode {
  if (result.status === 'interrupted') return exitCodeForError(interruptions.get(result));
  if (result.status === 'compensation_failed' || result.pruneFailed) return EXIT.needsAttention;
  if (result.status === 'rolled_back' || result.status === 'cancelled') return EXIT.sagaFailed;
  return EXIT.ok;
}

export function registerSnapshot(program: Command, ctx: CliContext, setExit: (code: ExitCode) => void): void {
  program
    .command('snapshot')
    .description('take droplet snapshots, exactly once each, as sagas')
    .argument('[droplet-id...]', 'droplet ids')
    .option('--tag <tag>', 'also every droplet carrying this tag')
    .option('--label <label>', 'appended to the snapshot name (a-z, 0-9, . _ -)')
    .option('--power-off', 'shut the droplet down for a consistent snapshot, then power it back on', false)
    .option('--keep <n>', 'afterwards delete older arcadia snapshots of each droplet, keeping the newest n', intInRange(1, 1000))
    .option('--concurrency <n>', 'droplets snapshotted at once', intInRange(1, 50), 5)
    .option('--triggered-by <who>', 'recorded on each saga (default manual, or cron:<tag> with --tag)')
    .option('--dry-run', 'with --keep: show what retention would delete, and do nothing', false)
    .option('--detach', 'record the sagas without running them (run later with saga resume)', false)
    .option('--json', 'print one JSON entry per droplet', false)
    .addHelpText(
      'after',
      `
Examples:
  arcadia snapshot 123456
  arcadia snapshot 123456 --power-off --label before-upgrade
  arcadia snapshot --tag web --keep 7 --json
  arcadia snapshot --tag web --keep 7 --dry-run`,
    )
    .action(async (dropletIds: string[], o: { tag?: string; label?: string; powerOff: boolean; keep?: number; concurrency: number; triggeredBy?: string; detach: boolean; dryRun: boolean; json: boolean }) => {
      setExit(
        await runSnapshot(
          { dropletIds, tag: o.tag, label: o.label, powerOff: o.powerOff, keep: o.keep, concurrency: o.concurrency, detach: o.detach, dryRun: o.dryRun, json: o.json, triggeredBy: o.triggeredBy },
          ctx,
        ),
      );
    });
}
