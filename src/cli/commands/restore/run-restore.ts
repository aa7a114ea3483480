import { randomUUID } from 'node:crypto';
import type { DigitalOceanClient } from '../../../digitalocean/client.js';
import { BadRequestError, NotFoundError } from '../../../digitalocean/errors.js';
import type { Snapshot } from '../../../digitalocean/types.js';
import type { SagaRecord } from '../../../engine/types.js';
import { UsageError } from '../../../errors.js';
import { Output } from '../../../output/output.js';
import { printRestoreResult, type RestoreResult } from '../../../output/views/restore-view.js';
import { restoreFactsOf } from '../../../sagas/restore/facts.js';
import { defaultRestoreName, isDropletName, RESTORE_TAG_PREFIX } from '../../../sagas/restore/naming.js';
import { NotASnapshotError, UnknownSnapshotError } from '../../../sagas/restore/plan-errors.js';
import { knownSize, planRestore, type RestorePlan } from '../../../sagas/restore/restore-plan.js';
import { restoreSagaSteps } from '../../../sagas/restore/restore-saga.js';
import { openApp, type CliContext } from '../../app.js';
import { EXIT, exitCodeForStatus, type ExitCode } from '../../exit-codes.js';
import { validateTag } from '../../parse.js';
import { runSagaWithProgress } from '../../run-saga.js';

export interface RestoreOptions {
  snapshotId: string;
  name: string | undefined;
  size: string | undefined;
  region: string | undefined;
  tags: string[];
  triggeredBy: string;
  detach: boolean;
  json: boolean;
}

const DROPLET_SNAPSHOT_ID = /^[1-9][0-9]{0,15}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What can be refused without asking DigitalOcean: before the ledger or the client is opened. */
function checkOptions(opts: RestoreOptions): void {
  if (!DROPLET_SNAPSHOT_ID.test(opts.snapshotId) && !UUID.test(opts.snapshotId)) {
    throw new UsageError(`${JSON.stringify(opts.snapshotId.slice(0, 60))} is not a snapshot id`);
  }
  if (opts.name !== undefined && !isDropletName(opts.name)) {
    throw new UsageError(
      `--name ${JSON.stringify(opts.name.slice(0, 60))} is not a droplet name (letters, digits, "." and "-", ` +
        'ending with a letter or digit, at most 255; no underscores)',
    );
  }
  for (const tag of opts.tags) {
    validateTag(tag);
    if (tag.startsWith(RESTORE_TAG_PREFIX)) throw new UsageError(`--tag ${tag}: ${RESTORE_TAG_PREFIX}* is arcadia's`);
  }
  if (opts.size !== undefined) knownSize(opts.size);
}

/** The snapshot, or why it cannot be restored: unknown, a backup, or (by its id) a volume's. */
async function fetchSnapshot(api: Pick<DigitalOceanClient, 'getSnapshot'>, id: string): Promise<Snapshot> {
  try {
    return await api.getSnapshot(id);
  } catch (error) {
    if (error instanceof NotFoundError) throw new UnknownSnapshotError(id);
    if (error instanceof BadRequestError) throw new NotASnapshotError(id, error.providerMessage);
    throw error;
  }
}

function resultOf(saga: SagaRecord, plan: RestorePlan): RestoreResult {
  const facts = restoreFactsOf(saga);
  return {
    sagaId: saga.id,
    status: saga.status,
    snapshotId: plan.snapshotId,
    dropletId: facts.dropletId,
    dropletName: facts.dropletName ?? '',
    region: plan.region,
    size: plan.size.slug,
    monthlyPriceUsd: plan.size.priceMonthlyUsd,
    tags: facts.tags,
    activeAfterMs: facts.activeAfterMs,
    error: saga.error,
  };
}

/**
 * `arcadia restore`: checks everything it can (the options, then the snapshot, its regions and disk) before any
 * saga exists, so bad input exits 2 with nothing created; then records the restore saga and runs it here.
 */
export async function runRestore(opts: RestoreOptions, deps: CliContext): Promise<ExitCode> {
  checkOptions(opts);
  const output = await Output.detect(deps.streams, deps.env, opts.json);
  const app = await openApp(deps);
  try {
    const snapshot = await fetchSnapshot(app.api(), opts.snapshotId);
    const plan = planRestore(snapshot, { region: opts.region, sizeSlug: opts.size });
    const sagaId = randomUUID();
    const template = restoreSagaSteps({
      snapshotId: plan.snapshotId,
      dropletName: opts.name ?? defaultRestoreName(sagaId),
      sizeSlug: plan.size.slug,
      region: plan.region,
      tags: [...new Set(opts.tags)],
    });
    const created = await app.ledger.createSaga(
      { id: sagaId, ...template, triggeredBy: opts.triggeredBy, deploymentId: null, batchId: null },
      app.clock.now(),
    );
    if (opts.detach) {
      printRestoreResult(output, resultOf(created, plan));
      return EXIT.ok;
    }
    const saga = await runSagaWithProgress(app, output, sagaId, `restore ${plan.snapshotId}`);
    printRestoreResult(output, resultOf(saga, plan));
    return exitCodeForStatus(saga.status);
  } finally {
    await app.close();
  }
}
