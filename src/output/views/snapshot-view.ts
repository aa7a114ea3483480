import { humanDuration } from '../format.js';
import type { Output } from '../output.js';

/** One droplet's line in a snapshot run: the `snapshot --json` entry of DESIGN.md section 7. */
export interface SnapshotResult {
  dropletId: number;
  sagaId: string | null;
  status: string;
  snapshotId: string | null;
  snapshotName: string | null;
  error: string | null;
  sizeGigabytes?: number | null;
  durationMs?: number | null;
  pruned?: string[];
  pruneFailed?: boolean;
}

export function snapshotResultJson(r: SnapshotResult): Record<string, unknown> {
  return { dropletId: r.dropletId, sagaId: r.sagaId, status: r.status, snapshotId: r.snapshotId, snapshotName: r.snapshotName, error: r.error, ...(r.pruned ? { pruned: r.pruned } : {}) };
}

export function printSnapshotResults(output: Output, results: SnapshotResult[]): void {
  if (output.mode === 'json') {
    output.json(results.map(snapshotResultJson));
    return;
  }
  if (results.length === 1 && results[0]) {
    const r = results[0];
    if (r.status === 'succeeded') {
      const size = r.sizeGigabytes !== undefined && r.sizeGigabytes !== null ? `, ${r.sizeGigabytes} GiB` : '';
      output.print(`snapshot ${r.snapshotId} ${r.snapshotName}${size} of droplet ${r.dropletId} (saga ${r.sagaId})`);
    } else {
      const error = r.error ? ` - ${r.error}` : '';
      output.print(`droplet ${r.dropletId}: ${r.status}${error}${r.sagaId ? ` (saga ${r.sagaId})` : ''}`);
    }
    return;
  }
  output.print(
    output.table(
      ['DROPLET', 'STATUS', 'SNAPSHOT', 'NAME', 'DURATION', 'PRUNED', 'SAGA / REASON'],
      results.map((r) => [
        r.dropletId,
        r.status,
        r.snapshotId,
        r.snapshotName,
        r.durationMs !== undefined && r.durationMs !== null ? humanDuration(r.durationMs) : null,
        r.pruned ? r.pruned.length : null,
        r.status === 'succeeded' ? r.sagaId : r.error ?? r.sagaId,
      ]),
    ),
  );
  const count = (status: string): number => results.filter((r) => r.status === status).length;
  output.print(`${count('succeeded')} succeeded, ${results.length - count('succeeded') - count('skipped')} failed, ${count('skipped')} skipped`);
}

export interface RetentionPreview {
  dropletId: number;
  wouldDelete: { id: string; name: string; createdAt: string }[];
}

export function printRetentionPreview(output: Output, preview: RetentionPreview[], keep: number): void {
  if (output.mode === 'json') {
    output.json(preview);
    return;
  }
  const rows = preview.flatMap((p) => p.wouldDelete.map((d) => [p.dropletId, d.id, d.name, d.createdAt]));
  if (rows.length === 0) {
    output.print(`--keep ${keep} would delete nothing`);
    return;
  }
  output.print(output.table(['DROPLET', 'SNAPSHOT', 'NAME', 'CREATED'], rows));
  output.print(`--keep ${keep} would delete ${rows.length} snapshot(s); nothing was changed (dry run)`);
}
