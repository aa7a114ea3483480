import { humanDuration, safeText } from '../format.js';
import type { Output } from '../output.js';
import { quotaNoticeJson, type QuotaForecast } from './quota-view.js';

/**
 * One droplet's line in a snapshot run: the `snapshot --json` entry of ARCHITECTURE.md, "Interface", plus `resumed`.
 */
export interface SnapshotResult {
  /** Null only for a resumed saga whose inputs name no droplet (a ledger arcadia did not write). */
  dropletId: number | null;
  sagaId: string | null;
  status: string;
  snapshotId: string | null;
  snapshotName: string | null;
  error: string | null;
  /** A saga an earlier run left unfinished, driven to its end by this run. */
  resumed: boolean;
  sizeGigabytes?: number | null;
  durationMs?: number | null;
  pruned?: string[];
  pruneFailed?: boolean;
}

const RESUME_PENDING_COMMAND = 'arcadia saga resume --all';

export function snapshotResultJson(r: SnapshotResult): Record<string, unknown> {
  return {
    dropletId: r.dropletId,
    sagaId: r.sagaId,
    status: r.status,
    snapshotId: r.snapshotId,
    snapshotName: r.snapshotName,
    error: r.error,
    resumed: r.resumed,
    ...(r.pruned ? { pruned: r.pruned } : {}),
  };
}

function printOneResult(output: Output, r: SnapshotResult): void {
  const resumed = r.resumed ? ', resumed from an earlier run' : '';
  if (r.status === 'succeeded') {
    const size = r.sizeGigabytes !== undefined && r.sizeGigabytes !== null ? `, ${r.sizeGigabytes} GiB` : '';
    const ids = `snapshot ${r.snapshotId} ${r.snapshotName}${size} of droplet ${r.dropletId}`;
    output.print(`${ids} (saga ${r.sagaId}${resumed})`);
  } else if (r.status === 'pending') {
    output.print(`droplet ${r.dropletId}: pending (saga ${r.sagaId}); run it with: ${RESUME_PENDING_COMMAND}`);
  } else {
    const saga = r.sagaId ? ` (saga ${r.sagaId}${resumed})` : '';
    output.print(`droplet ${r.dropletId}: ${r.status}${r.error ? ` - ${r.error}` : ''}${saga}`);
  }
}

/** The counts under the table: pending sagas are not failures, resumed ones are said to be there. */
function summaryLine(results: SnapshotResult[]): string {
  const count = (status: string): number => results.filter((r) => r.status === status).length;
  const [succeeded, skipped, pending, interrupted] = [
    count('succeeded'),
    count('skipped'),
    count('pending'),
    count('interrupted'),
  ];
  const failed = results.length - succeeded - skipped - pending - interrupted;
  const resumed = results.filter((r) => r.resumed).length;
  const parts = [
    `${succeeded} succeeded, ${failed} failed, ${skipped} ` +
      `skipped${interrupted > 0 ? `, ${interrupted} interrupted` : ''}`,
  ];
  if (pending > 0) parts.push(`${pending} pending (run them with: ${RESUME_PENDING_COMMAND})`);
  if (resumed > 0) parts.push(`${resumed} of these resumed from an earlier run`);
  return parts.join('; ');
}

/** `quotaNotice`: the batch was slowed by the hourly quota; said on stderr already, and here in each JSON entry. */
export function printSnapshotResults(output: Output, results: SnapshotResult[], quotaNotice?: QuotaForecast): void {
  if (output.mode === 'json') {
    const quota = quotaNotice ? { quota: quotaNoticeJson(quotaNotice) } : {};
    output.json(results.map((r) => ({ ...snapshotResultJson(r), ...quota })));
    return;
  }
  if (results.length === 1 && results[0]) {
    printOneResult(output, results[0]);
    return;
  }
  output.print(
    output.table(
      ['DROPLET', 'STATUS', 'SNAPSHOT', 'NAME', 'DURATION', 'PRUNED', 'SAGA / REASON'],
      results.map((r) => [
        r.dropletId,
        r.resumed ? `${r.status} (resumed)` : r.status,
        r.snapshotId,
        r.snapshotName,
        r.durationMs !== undefined && r.durationMs !== null ? humanDuration(r.durationMs) : null,
        r.pruned ? r.pruned.length : null,
        r.status === 'succeeded' || r.status === 'pending' ? r.sagaId : (r.error ?? r.sagaId),
      ]),
    ),
  );
  output.print(summaryLine(results));
}

/** One arcadia snapshot in a retention dry run; id and name are null for the snapshot the run would take. */
export interface RetentionPreviewSnapshot {
  /** Set for a volume snapshot (`--with-volumes`): the volume it is of. */
  volumeId?: string;
  id: string | null;
  name: string | null;
  createdAt: string;
  action: 'keep' | 'delete';
  reasons: string[];
}

export interface RetentionPreview {
  dropletId: number;
  /** Every arcadia snapshot of the droplet, newest first, the upcoming one included. */
  snapshots: RetentionPreviewSnapshot[];
}

const UPCOMING_LABEL = '(this run)';

/** `--json`: each droplet's snapshots with their decision, and `wouldDelete` (the deletes alone) as before. */
export function retentionPreviewJson(p: RetentionPreview): Record<string, unknown> {
  const wouldDelete = p.snapshots
    .filter((s) => s.action === 'delete')
    .map((s) => ({ id: s.id, name: s.name, createdAt: s.createdAt }));
  return { dropletId: p.dropletId, snapshots: p.snapshots, wouldDelete };
}

export function printRetentionPreview(output: Output, preview: RetentionPreview[], policyText: string): void {
  if (output.mode === 'json') {
    output.json(preview.map(retentionPreviewJson));
    return;
  }
  const rows = preview.flatMap((p) =>
    p.snapshots.map((s) => [
      p.dropletId,
      s.volumeId === undefined ? 'droplet' : `volume ${safeText(s.volumeId.slice(0, 8))}`,
      s.id ?? UPCOMING_LABEL,
      s.name === null ? UPCOMING_LABEL : safeText(s.name),
      safeText(s.createdAt),
      s.action,
      s.reasons.join(', '),
    ]),
  );
  const deletes = preview.reduce((n, p) => n + p.snapshots.filter((s) => s.action === 'delete').length, 0);
  output.print(output.table(['DROPLET', 'OF', 'SNAPSHOT', 'NAME', 'CREATED', 'ACTION', 'REASON'], rows));
  const outcome = deletes === 0 ? 'would delete nothing' : `would delete ${deletes} snapshot(s)`;
  output.print(`${policyText} ${outcome}; nothing was changed (dry run)`);
}
