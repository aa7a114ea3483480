import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { Snapshot } from '../../../digitalocean/types.js';
import { isTerminal, type SagaContext, type SagaRecord } from '../../../engine/types.js';
import { UsageError } from '../../../errors.js';
import { Output } from '../../../output/output.js';
import {
  printReconcile,
  type LeakedRestore,
  type LeakedSnapshot,
  type MissingCopy,
  type ReconcileReport,
} from '../../../output/views/reconcile-view.js';
import {
  DELETED_DROPLETS_KEY,
  LEAKED_DROPLETS_INPUT,
  leakedDropletInputs,
} from '../../../sagas/reconcile-droplets-step.js';
import { DELETED_LEAKS_KEY } from '../../../sagas/reconcile-step.js';
import { parseSnapshotName } from '../../../sagas/snapshot/naming.js';
import { openApp, type App, type CliContext } from '../../app.js';
import { EXIT, exitCodeForStatus, type ExitCode } from '../../exit-codes.js';
import { runSagaWithProgress } from '../../run-saga.js';
import { parseDropletIds } from '../../shared/droplet-ids.js';
import { validateTag } from '../../parse.js';
import { missingCopyOf } from './missing-copies.js';
import { findLeakedRestores } from './restores.js';

/** DigitalOcean's price for droplet snapshots, per GiB-month, and its minimum charge. */
const USD_PER_GIB_MONTH = 0.06;
const MINIMUM_CHARGE_USD = 0.01;

export function monthlyCost(sizeGigabytes: number): number {
  return Math.max(MINIMUM_CHARGE_USD, Math.round(sizeGigabytes * USD_PER_GIB_MONTH * 100) / 100);
}

export interface ReconcileOptions {
  dropletIds: string[];
  tag: string | undefined;
  delete: boolean;
  json: boolean;
}

/** Why no saga accounts for this snapshot, or null when one does (or is still working on it). */
async function leakReason(app: App, snapshot: Snapshot, sagaPrefix: string): Promise<string | null> {
  const sagas = await app.ledger.findSagasByIdPrefix(sagaPrefix);
  if (sagas.some((s) => !isTerminal(s.status))) return null; // in flight: its saga will record or remove it
  if (sagas.some((s) => s.status === 'succeeded' && s.context.snapshot_id === snapshot.id)) return null;
  if (sagas.length === 0) return 'no saga in this ledger';
  return `saga ${sagas[0]?.id} ${sagas[0]?.status}`;
}

/** The recorded saga of `--delete`: the leaked snapshots, then the leaked restore droplets it may remove. */
async function runDeletion(
  app: App,
  output: Output,
  leaks: LeakedSnapshot[],
  restores: LeakedRestore[],
): Promise<SagaRecord> {
  const stepNames = [
    ...(leaks.length > 0 ? ['delete_leaked_snapshots'] : []),
    ...(restores.length > 0 ? ['delete_leaked_droplets'] : []),
  ];
  const inputs: SagaContext = {};
  if (leaks.length > 0) inputs.snapshot_ids = leaks.map((l) => l.id);
  if (restores.length > 0) {
    inputs[LEAKED_DROPLETS_INPUT] = leakedDropletInputs(
      restores.map((l) => ({ id: l.dropletId, sagaId: l.sagaId, name: l.name })),
    );
  }
  const saga = await app.ledger.createSaga(
    {
      id: randomUUID(),
      kind: 'reconcile',
      stepNames,
      inputs,
      triggeredBy: 'manual',
      deploymentId: null,
      batchId: null,
    },
    app.clock.now(),
  );
  return runSagaWithProgress(app, output, saga.id);
}

export async function runReconcile(opts: ReconcileOptions, ctx: CliContext): Promise<ExitCode> {
  const ids = parseDropletIds(opts.dropletIds);
  if (ids.length > 0 && opts.tag !== undefined) throw new UsageError('give droplet ids or --tag, not both');
  if (opts.tag !== undefined) validateTag(opts.tag);
  const output = await Output.detect(ctx.streams, ctx.env, opts.json);
  const app = await openApp(ctx, { readOnly: !opts.delete });
  try {
    const client = app.api();
    const scope =
      opts.tag !== undefined
        ? new Set((await client.listDroplets({ tagName: opts.tag })).map((d) => d.id))
        : ids.length
          ? new Set(ids)
          : undefined;
    const leaks: LeakedSnapshot[] = [];
    const missingCopies: MissingCopy[] = [];
    const listed = await client.listSnapshots({ resourceType: 'droplet' });
    for (const snapshot of listed) {
      const parsed = parseSnapshotName(snapshot.name);
      if (!parsed || String(parsed.dropletId) !== snapshot.resource_id) continue;
      if (scope && !scope.has(parsed.dropletId)) continue;
      const missing = missingCopyOf(
        await app.ledger.findSagasByIdPrefix(parsed.sagaPrefix),
        snapshot,
        parsed.dropletId,
      );
      if (missing !== null) missingCopies.push(missing);
      const reason = await leakReason(app, snapshot, parsed.sagaPrefix);
      if (reason === null) continue;
      leaks.push({
        id: snapshot.id,
        name: snapshot.name,
        dropletId: parsed.dropletId,
        createdAt: snapshot.created_at,
        sizeGigabytes: snapshot.size_gigabytes,
        monthlyCostUsd: monthlyCost(snapshot.size_gigabytes),
        reason,
      });
    }
    // Recorded before any deletion: a --delete that fails half-way still leaves the count of what is left.
    const scopeText = opts.tag !== undefined ? `tag:${opts.tag}` : ids.length ? `droplets:${ids.join(',')}` : 'all';
    await app.ledger.recordReconcileReport(
      app.clock.now(),
      scopeText,
      leaks.map((l) => l.id),
    );
    const snapshotsById = new Map(listed.map((snapshot) => [snapshot.id, snapshot]));
    const leakedRestores = await findLeakedRestores(app, await client.listDroplets(), snapshotsById, scope);
    const monthlyCostUsd = leaks.reduce((sum, l) => sum + l.monthlyCostUsd, 0);
    const restoresMonthlyCostUsd = leakedRestores.reduce((sum, l) => sum + (l.monthlyCostUsd ?? 0), 0);
    const report: ReconcileReport = {
      ...{ leaks, monthlyCostUsd, deleted: [], sagaId: null, missingCopies },
      ...{ leakedRestores, restoresMonthlyCostUsd, deletedDroplets: [] },
    };
    const attention = leaks.length > 0 || missingCopies.length > 0 || leakedRestores.length > 0;
    let code: ExitCode = attention ? EXIT.needsAttention : EXIT.ok;
    const deletableRestores = leakedRestores.filter((l) => l.deletable);
    if (opts.delete && (leaks.length > 0 || deletableRestores.length > 0)) {
      const done = await runDeletion(app, output, leaks, deletableRestores);
      const deleted = done.context[DELETED_LEAKS_KEY];
      report.deleted = Array.isArray(deleted) ? deleted.map(String) : [];
      const deletedDroplets = done.context[DELETED_DROPLETS_KEY];
      report.deletedDroplets = Array.isArray(deletedDroplets) ? deletedDroplets.map(Number) : [];
      report.sagaId = done.id;
      // Left: missing copies, and leaked restores --delete may not remove (or found changed) need a human.
      const left =
        missingCopies.length > 0 || leakedRestores.some((l) => !report.deletedDroplets.includes(l.dropletId));
      code = done.status !== 'succeeded' ? exitCodeForStatus(done.status) : left ? EXIT.needsAttention : EXIT.ok;
    }
    printReconcile(output, report);
    return code;
  } finally {
    await app.close();
  }
}

export function registerReconcile(program: Command, ctx: CliContext, setExit: (code: ExitCode) => void): void {
  program
    .command('reconcile')
    .description(
      'find snapshots named by arcadia that no succeeded saga accounts for (leaks), missing copies, and ' +
        'leaked restore droplets',
    )
    .argument('[droplet-id...]', 'only these droplets')
    .option('--tag <tag>', 'only droplets carrying this tag')
    .option('--delete', 'delete the leaks (as a recorded saga)', false)
    .option('--json', 'print JSON', false)
    .addHelpText(
      'after',
      '\nLeaked restores: droplets tagged arcadia-saga-<id> that no live saga accounts for (a rolled-back restore, ' +
        'a finished drill, a saga this ledger does not know). --delete removes only those whose saga is in this ' +
        "ledger, finished, and should have left none; another home's are listed, never deleted." +
        '\nExit code 5 when leaks remain or a --copy-to region is missing (listed), ' +
        '0 when there are none or all were deleted.' +
        '\n\nExamples:\n  arcadia reconcile --tag web\n  arcadia reconcile 123456 --delete --json',
    )
    .action(async (dropletIds: string[], o: { tag?: string; delete: boolean; json: boolean }) => {
      setExit(await runReconcile({ dropletIds, tag: o.tag, delete: o.delete, json: o.json }, ctx));
    });
}
