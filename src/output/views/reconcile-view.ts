import type { Output } from '../output.js';

export interface LeakedSnapshot {
  id: string;
  name: string;
  dropletId: number;
  createdAt: string;
  sizeGigabytes: number;
  monthlyCostUsd: number;
  /** Why arcadia thinks nobody accounts for it. */
  reason: string;
}

export interface ReconcileReport {
  leaks: LeakedSnapshot[];
  monthlyCostUsd: number;
  deleted: string[];
  sagaId: string | null;
}

export function printReconcile(output: Output, report: ReconcileReport): void {
  if (output.mode === 'json') {
    output.json(report);
    return;
  }
  if (report.leaks.length === 0) {
    output.print('no leaked arcadia snapshots');
    return;
  }
  output.print(
    output.table(
      ['SNAPSHOT', 'NAME', 'DROPLET', 'CREATED', 'SIZE GiB', '$/MONTH', 'WHY', 'DELETED'],
      report.leaks.map((l) => [
        l.id,
        l.name,
        l.dropletId,
        l.createdAt,
        l.sizeGigabytes,
        l.monthlyCostUsd.toFixed(2),
        l.reason,
        report.deleted.includes(l.id) ? 'yes' : 'no',
      ]),
    ),
  );
  output.print(
    `${report.leaks.length} leaked snapshot(s), $${report.monthlyCostUsd.toFixed(2)} a ` +
      `month${report.sagaId ? `; deleted by saga ${report.sagaId}` : '; delete them with --delete'}`,
  );
}
