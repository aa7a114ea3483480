import { humanDuration, safeText } from '../format.js';
import type { Output } from '../output.js';

/** One droplet's drill in a run: `drill --json`'s `drills` entries. */
export interface DrillResult {
  /** The droplet whose snapshot was restored; null only for a resumed saga whose inputs name none. */
  dropletId: number | null;
  sagaId: string | null;
  /** A saga status, or `skipped` (another live run is drilling it) or `interrupted` (resumable). */
  status: string;
  snapshotId: string | null;
  /** The temporary droplet, once its create request was answered. */
  restoredDropletId: number | null;
  /** From the create request until the droplet was active: what a restore of this snapshot takes. */
  activeAfterMs: number | null;
  /** From the create request until the delete: what was billed. */
  lifetimeMs: number | null;
  sizeSlug: string | null;
  /** What the temporary droplet cost (per-second billing, 60 s or $0.01 at least); 0 when none was created. */
  costUsd: number | null;
  error: string | null;
  resumed: boolean;
}

/** What a drill run did: a result per drilled droplet, and the droplets it did not drill, with why. */
export interface DrillReport {
  drills: DrillResult[];
  /** Droplets not drilled, with why: no arcadia snapshot that still exists, or no size its disk fits. */
  notDrilled: { dropletId: number; dropletName: string; reason: string }[];
  /** Droplets with a snapshot that `--sample` left for a later run. */
  notSampled: number[];
  costUsd: number;
}

function money(usd: number | null): string | null {
  return usd === null ? null : `$${usd.toFixed(usd > 0 && usd < 0.01 ? 4 : 2)}`;
}

function duration(ms: number | null): string | null {
  return ms === null ? null : humanDuration(ms);
}

function restoredLine(r: DrillResult): string {
  const active = r.activeAfterMs === null ? '' : `, active after ${humanDuration(r.activeAfterMs)}`;
  const cost = r.costUsd === null ? '' : `, cost ${money(r.costUsd)}`;
  const resumed = r.resumed ? ', resumed from an earlier run' : '';
  return `droplet ${r.dropletId}: snapshot ${r.snapshotId} restored${active}${cost} (saga ${r.sagaId}${resumed})`;
}

function summaryLine(report: DrillReport): string {
  const restored = report.drills.filter((r) => r.status === 'succeeded').length;
  const skipped = report.drills.filter((r) => r.status === 'skipped').length;
  const interrupted = report.drills.filter((r) => r.status === 'interrupted').length;
  const failed = report.drills.length - restored - skipped - interrupted;
  const parts = [`${restored} restored, ${failed} failed`];
  if (skipped > 0) parts.push(`${skipped} skipped`);
  if (interrupted > 0) parts.push(`${interrupted} interrupted`);
  parts.push(`cost ${money(report.costUsd)}`);
  const lines = [parts.join(', ')];
  for (const d of report.notDrilled) lines.push(`droplet ${d.dropletId} not drilled: ${d.reason}`);
  if (report.notSampled.length > 0)
    lines.push(`left for later runs (--sample): droplet ${report.notSampled.join(', ')}`);
  return lines.join('\n');
}

export function printDrillReport(output: Output, report: DrillReport): void {
  if (output.mode === 'json') {
    output.json(report);
    return;
  }
  const [only] = report.drills;
  if (report.drills.length === 1 && only?.status === 'succeeded') {
    output.print(restoredLine(only));
  } else if (report.drills.length > 0) {
    output.print(
      output.table(
        ['DROPLET', 'SNAPSHOT', 'STATUS', 'ACTIVE AFTER', 'LIFETIME', 'SIZE', 'COST', 'SAGA / REASON'],
        report.drills.map((r) => [
          r.dropletId,
          r.snapshotId,
          r.resumed ? `${r.status} (resumed)` : r.status,
          duration(r.activeAfterMs),
          duration(r.lifetimeMs),
          r.sizeSlug === null ? null : safeText(r.sizeSlug),
          money(r.costUsd),
          r.status === 'succeeded' ? r.sagaId : (r.error ?? r.sagaId),
        ]),
      ),
    );
  }
  output.print(summaryLine(report));
}
