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

/** A droplet tagged `arcadia-saga-*` that no live saga accounts for: a restore or drill left it behind. */
export interface LeakedRestore {
  dropletId: number;
  name: string;
  sizeSlug: string;
  region: string;
  createdAt: string;
  /** The saga its tag names. */
  sagaId: string;
  /** The droplet whose snapshot was restored, when known. */
  sourceDropletId: number | null;
  /** The size's monthly list price; null for a size arcadia's table does not know. */
  monthlyCostUsd: number | null;
  reason: string;
  /** Whether `--delete` removes it: only when its saga is this ledger's, terminal, and should have left none. */
  deletable: boolean;
}

export interface ReconcileReport {
  leaks: LeakedSnapshot[];
  monthlyCostUsd: number;
  deleted: string[];
  sagaId: string | null;
  /** Snapshots of succeeded sagas whose --copy-to regions are not all listed. */
  missingCopies: MissingCopy[];
  leakedRestores: LeakedRestore[];
  /** What the leaked restores cost a month, those of unknown sizes left out. */
  restoresMonthlyCostUsd: number;
  deletedDroplets: number[];
}

function printLeakedRestores(output: Output, report: ReconcileReport): void {
  const leaks = report.leakedRestores;
  if (leaks.length === 0) return;
  output.print(
    output.table(
      ['DROPLET', 'NAME', 'SIZE', 'REGION', 'CREATED', '$/MONTH', 'SAGA', 'WHY', 'DELETED'],
      leaks.map((l) => [
        l.dropletId,
        l.name,
        l.sizeSlug,
        l.region,
        l.createdAt,
        l.monthlyCostUsd === null ? '?' : l.monthlyCostUsd.toFixed(2),
        l.sagaId,
        l.reason,
        report.deletedDroplets.includes(l.dropletId) ? 'yes' : l.deletable ? 'no' : 'never (see why)',
      ]),
    ),
  );
  const deletable = leaks.filter((l) => l.deletable && !report.deletedDroplets.includes(l.dropletId)).length;
  const hint = report.deletedDroplets.length > 0 ? `; ${report.deletedDroplets.length} deleted` : '';
  const more = deletable > 0 ? `; delete the ${deletable} arcadia may remove with --delete` : '';
  output.print(
    `${leaks.length} leaked restore droplet(s), $${report.restoresMonthlyCostUsd.toFixed(2)} a month${hint}${more}`,
  );
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
  printLeakedRestores(output, report);
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
