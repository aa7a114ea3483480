import type { LedgerCopyReport } from '../../db/ledger-copy.js';
import type { LedgerCounts, LedgerInfo } from '../../db/ledger-info.js';
import { safeText } from '../format.js';
import type { Output } from '../output.js';

function statusLine(byStatus: Record<string, number>): string {
  const parts = Object.entries(byStatus).map(([status, n]) => `${n} ${safeText(status)}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** `ledger info`: the backend, where it is (never a password), its schema and what it holds. */
export function printLedgerInfo(output: Output, info: LedgerInfo): void {
  if (output.mode === 'json') {
    output.json(info);
    return;
  }
  const behind = info.schemaVersion < info.knownSchemaVersion ? ' (migrated when a command next writes)' : '';
  output.print(`backend:  ${info.backend === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`);
  output.print(`location: ${safeText(info.location)}`);
  output.print(`schema:   version ${info.schemaVersion} of ${info.knownSchemaVersion}${behind}`);
  output.print(`sagas:    ${info.sagas.total}${statusLine(info.sagas.byStatus)}`);
  output.print(`steps:    ${info.steps}`);
  output.print(`events:   ${info.events}`);
  output.print(`reconcile reports: ${info.reconcileReports}`);
}

function sagaTotal(counts: LedgerCounts): number {
  return Object.values(counts.byStatus).reduce((sum, n) => sum + n, 0);
}

/** `ledger copy`: what went where, as counted in the target after the copy. */
export function printLedgerCopy(output: Output, report: LedgerCopyReport): void {
  if (output.mode === 'json') {
    output.json({ from: report.from, to: report.to, copied: { sagas: sagaTotal(report.counts), ...report.counts } });
    return;
  }
  const c = report.counts;
  output.print(`copied ${safeText(report.from)} to ${safeText(report.to)}:`);
  output.print(
    `  ${sagaTotal(c)} sagas${statusLine(c.byStatus)}, ${c.steps} steps, ${c.events} events, ` +
      `${c.reconcileReports} reconcile reports (counted in the target)`,
  );
  output.print(`point arcadia at it with ARCADIA_DATABASE_URL (the same URL as --to)`);
}
