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

/** A snapshot of a succeeded saga that asked for copies (`--copy-to`) which its regions do not list. */
export interface MissingCopy {
  id: string;
  name: string;
  dropletId: number;
  sagaId: string;
  /** Regions asked for and not listed. */
  missingRegions: string[];
  regions: string[];
}

export interface ReconcileReport {
  leaks: LeakedSnapshot[];
  monthlyCostUsd: number;
  deleted: string[];
  sagaId: string | null;
  /** Snapshots of succeeded sagas whose --copy-to regions are not all listed. */
  missingCopies: MissingCopy[];
}

function printMissingCopies(output: Output, missing: MissingCopy[]): void {
  if (missing.length === 0) return;
  output.print(
    output.table(
      ['SNAPSHOT', 'NAME', 'DROPLET', 'SAGA', 'MISSING IN', 'LISTED IN'],
      missing.map((m) => [m.id, m.name, m.dropletId, m.sagaId, m.missingRegions.join(' '), m.regions.join(' ')]),
    ),
  );
  output.print(`${missing.length} snapshot(s) lack copies their saga asked for: copy them again, or snapshot anew`);
}

export function printReconcile(output: Output, report: ReconcileReport): void {
  if (output.mode === 'json') {
    output.json(report);
    return;
  }
  printMissingCopies(output, report.missingCopies);
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
